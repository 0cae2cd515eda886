"""Reading a property document from bytes (YAML or JSON, UTF-8 only) into its models.

YAML is read with the safe loader minus the guesses that corrupt a hotel's data: ``15:00``
stays a time (not 900, YAML 1.1's base 60), dates stay text for the models to read, and only
``true``/``false`` are booleans (a view called ``no`` stays a word).
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml
from pydantic import ValidationError

from cloud.setup.document import PropertyDocument
from cloud.setup.errors import Problem, SetupInvalid

# libyaml's parser where PyYAML was built with it (the wheels are): ten times the pure-Python one.
_SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeBase):  # type: ignore[misc,valid-type]
    """The safe loader with YAML 1.2's plain ints, floats and booleans, and no timestamps."""


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, rx)
        for tag, rx in resolvers
        if tag
        not in (
            "tag:yaml.org,2002:timestamp",
            "tag:yaml.org,2002:int",
            "tag:yaml.org,2002:bool",
            "tag:yaml.org,2002:float",
        )
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


def parse(raw: bytes, *, fmt: str | None = None) -> PropertyDocument:
    """The document in ``raw``; SetupInvalid listing every problem of shape (with paths)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SetupInvalid(
            [Problem("", f"the file is not UTF-8: byte {exc.start} is 0x{raw[exc.start]:02x}")]
        ) from exc
    text = text.removeprefix("\ufeff")
    data = _load(text, fmt=fmt)
    if not isinstance(data, dict):
        raise SetupInvalid([Problem("", "the document must be a mapping with a 'property' key")])
    return from_data(data)


def from_data(data: Any) -> PropertyDocument:
    """Validate plain data (as JSON has it) into a document."""
    try:
        return PropertyDocument.model_validate_json(json.dumps(data, ensure_ascii=False))
    except ValidationError as exc:
        raise SetupInvalid([Problem(_path(e["loc"]), e["msg"]) for e in exc.errors()]) from exc


def _load(text: str, *, fmt: str | None) -> Any:
    if fmt == "json" or (fmt is None and text.lstrip().startswith("{")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise SetupInvalid([Problem(f"line {exc.lineno}", f"not JSON: {exc.msg}")]) from exc
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        raise SetupInvalid([Problem(where, f"not YAML: {getattr(exc, 'problem', None) or exc}")]) from exc


def _path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part).removesuffix("_")
    return path
