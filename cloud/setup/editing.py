"""Changes the set-up pages make to a document's plain data: one item saved or removed, a range of
rooms added, and the fingerprint that tells whether the property changed since a diff was shown."""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from cloud.setup.document import PropertyDocument
from cloud.setup.errors import Problem
from cloud.setup.formats import as_data
from cloud.setup.forms import SECTION_FIELDS
from cloud.setup.keys import KEYS

MAX_RANGE = 500  # rooms added at once


def fingerprint(doc: PropertyDocument) -> str:
    """A digest of the whole document: equal digests, the same property."""
    text = json.dumps(as_data(doc), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def keys_of(doc: PropertyDocument, section: str) -> list[str]:
    found = getattr(doc, section)
    return [KEYS[section](item) for item in (found if isinstance(found, tuple) else (found,))]


def save_item(doc: PropertyDocument, section: str, key: str, item: dict[str, Any]) -> dict[str, Any]:
    """The document's data with the item ``key`` ("" for a new one) replaced by ``item``.

    Fields the section's form does not show (a property's site, number and chain) are kept.
    """
    data = copy.deepcopy(as_data(doc))
    if section == "property":
        shown = {f.name for f in SECTION_FIELDS[section]}
        data["property"] = {**{k: v for k, v in data["property"].items() if k not in shown}, **item}
        return data
    items: list[dict[str, Any]] = data[section]
    keys = keys_of(doc, section)
    if key and key in keys:
        old = items[keys.index(key)]
        shown = {f.name for f in SECTION_FIELDS[section]}
        items[keys.index(key)] = {**{k: v for k, v in old.items() if k not in shown}, **item}
    else:
        items.append(item)
    return data


def remove_item(doc: PropertyDocument, section: str, key: str) -> tuple[dict[str, Any], list[Problem]]:
    """The document's data without the item ``key`` (a problem when there is none)."""
    data = copy.deepcopy(as_data(doc))
    keys = keys_of(doc, section)
    if section == "property" or key not in keys:
        return data, [Problem(section, f"no item {key[:80]!r} to remove")]
    del data[section][keys.index(key)]
    return data, []


def add_room_range(
    doc: PropertyDocument, *, first: int, last: int, room: dict[str, Any], prefix: str = ""
) -> tuple[dict[str, Any], list[Problem]]:
    """The document's data with rooms ``first``..``last`` (both included) added alike."""
    data = copy.deepcopy(as_data(doc))
    if first > last:
        return data, [Problem("rooms.range", f"the first number {first} is after the last {last}")]
    if last - first + 1 > MAX_RANGE:
        return data, [Problem("rooms.range", f"at most {MAX_RANGE} rooms at once")]
    for number in range(first, last + 1):
        data["rooms"].append({**room, "id": f"{prefix}{number}", "number": number})
    return data, []
