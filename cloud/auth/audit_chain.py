"""The audit trail's hash chain: a pure definition of an entry's canonical content, its link
hash, and the check that finds the first broken link.

``hash = SHA-256(prev_hash || "\\n" || canonical content)``, where the content is the entry's
fields (seq included) as JSON with sorted keys and no spaces. Changing, removing, reordering or
inserting an entry changes a hash that a later entry or the chain's head holds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = "0" * 64
FIELDS = ("seq", "at", "actor_id", "actor", "role", "address", "site", "action", "entity",
          "entity_id", "detail")


def canonical(content: dict[str, Any]) -> bytes:
    """The bytes hashed for one entry: its ``FIELDS``, instants as RFC 3339 UTC microseconds.

    Written by orjson when every value is one it writes as ``json.dumps`` does (text, whole
    numbers, booleans, null, and objects with text keys and lists of them); anything else (a
    number with a fraction, which the two write differently, or what orjson refuses: integers
    past 64 bits, lone surrogates) by ``json.dumps``, the definition."""
    fields = {name: content.get(name) for name in FIELDS}
    at = fields["at"]
    if isinstance(at, datetime):
        fields["at"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if _same_in_orjson(fields):
        try:
            return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass
    return canonical_json(fields)


def canonical_json(fields: dict[str, Any]) -> bytes:
    """The definition of the hashed bytes: JSON with sorted keys, no spaces, text as it is."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _same_in_orjson(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is dict:
        return all(type(key) is str and _same_in_orjson(item) for key, item in value.items())
    if kind is list:
        return all(_same_in_orjson(item) for item in value)
    return False


def link_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(content)).hexdigest()


def json_safe(value: Any) -> Any:
    """A value as it comes back from a JSON column: what the hash is computed over."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


@dataclass(frozen=True, slots=True)
class Broken:
    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class Verified:
    entries: int
    last_seq: int
    last_hash: str


def verify(entries: Iterable[dict[str, Any]], *, head: tuple[int, str] | None = None) -> Verified | Broken:
    """Walk entries in seq order from the first; the first that does not link is reported.

    Each entry is a mapping of ``FIELDS`` plus ``prev_hash`` and ``hash``. ``head`` is the
    chain's recorded end (seq, hash): entries cut from the end are found there."""
    prev, expected, count = GENESIS, 1, 0
    for entry in entries:
        seq = entry["seq"]
        if seq != expected:
            return Broken(expected, f"entry {expected} is missing (next found: {seq})")
        if entry["prev_hash"] != prev:
            return Broken(seq, "its previous hash does not match the entry before it")
        if link_hash(prev, entry) != entry["hash"]:
            return Broken(seq, "its content does not match its hash")
        prev, expected, count = entry["hash"], expected + 1, count + 1
    if head is not None and head != (expected - 1, prev):
        return Broken(expected, f"the chain's head says seq {head[0]}; the log ends at {expected - 1}")
    return Verified(entries=count, last_seq=expected - 1, last_hash=prev)
