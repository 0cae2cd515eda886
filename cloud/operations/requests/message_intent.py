# ruff: noqa: RUF001  (the multiplication sign is meant)
"""What a guest's chat message asks for (pure): one service type named in it, and how many.

A type is named by its code or by any of its names (en/es/zh), matched on whole words after folding
case (Chinese names, which have no spaces, match as a substring). A message naming no type, or two
different ones, asks for nothing: a person answers it. The quantity is a number 1..99 in the
message next to the name (just before it, or just after it with an optional ``x``), else 1:
``towels x2``, ``2 toallas`` and ``2 条毛巾`` count, the 8 of ``a taxi at 8`` does not."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MAX_TEXT = 500
_BEFORE = re.compile(r"(?<![0-9])([0-9]{1,2})\s*(?:\S{1,2}\s*)?$")  # "2 towels", "2 条毛巾"
_AFTER = re.compile(r"^\s*[x×*]?\s*([0-9]{1,2})(?![0-9])")  # "towels x2", "毛巾 3"


@dataclass(frozen=True, slots=True)
class Intent:
    type_code: str
    quantity: int


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _find(message: str, label: str) -> tuple[int, int] | None:
    """Where ``label`` stands in the message as a whole word (Chinese: anywhere)."""
    label = _fold(label).strip()
    if len(label) < 2:
        return None
    if not label.isascii() and not re.search(r"[a-zñáéíóúü ]", label):
        at = message.find(label)
        return None if at < 0 else (at, at + len(label))
    match = re.search(rf"(?<!\w){re.escape(label)}(?!\w)", message)
    return None if match is None else match.span()


def _quantity(message: str, span: tuple[int, int]) -> int:
    for found in (
        _BEFORE.search(message[max(0, span[0] - 8) : span[0]]),
        _AFTER.search(message[span[1] : span[1] + 8]),
    ):
        if found is not None and 1 <= int(found.group(1)) <= 99:
            return int(found.group(1))
    return 1


def read_intent(text: str, types: Iterable[tuple[str, Mapping[str, str]]]) -> Intent | None:
    """The one service type the message names, with its quantity; None when it names none or several."""
    message = _fold(text[:MAX_TEXT])
    found: dict[str, tuple[int, int]] = {}
    for code, names in types:
        for label in (code.replace("-", " "), *names.values()):
            span = _find(message, label)
            if span is not None:
                found.setdefault(code, span)
                break
    if len(found) != 1:
        return None
    code, span = found.popitem()
    return Intent(code, _quantity(message, span))
