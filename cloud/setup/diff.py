"""What applying a document would change: each item created, changed or removed, before and after (pure)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from cloud.setup.document import PropertyDocument
from cloud.setup.keys import KEYS

Action = Literal["create", "update", "delete", "retire"]
# sections in the order their creations and changes are written (what others name comes first)
SECTIONS = (
    "property",
    "floors",
    "room_types",
    "rate_plans",
    "tax_categories",
    "rooms",
    "areas",
    "prices",
    "restrictions",
    "taxes",
    "service_items",
    "out_of_order",
)


@dataclass(frozen=True)
class Change:
    action: Action
    section: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "section": self.section,
            "key": self.key,
            "before": self.before,
            "after": self.after,
        }

    def __str__(self) -> str:
        sign = {"create": "+", "update": "~", "delete": "-", "retire": "x"}[self.action]
        if self.action != "update" or self.before is None or self.after is None:
            return f"{sign} {self.section} {self.key}"
        fields = ", ".join(
            f"{name}: {self.before.get(name)!r} -> {value!r}"
            for name, value in self.after.items()
            if self.before.get(name) != value
        )
        return f"{sign} {self.section} {self.key} ({fields})"


@dataclass(frozen=True)
class Diff:
    site: str
    changes: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        return not self.changes

    def as_json(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for change in self.changes:
            counts[change.action] = counts.get(change.action, 0) + 1
        return {"site": self.site, "counts": counts, "changes": [c.as_json() for c in self.changes]}


def _dump(part: BaseModel) -> dict[str, Any]:
    return part.model_dump(mode="json", by_alias=True)


def compare(before: PropertyDocument | None, after: PropertyDocument) -> Diff:
    """Changes from ``before`` (None: a new property) to ``after``, section by section, by key."""
    changes: list[Change] = []
    for section in SECTIONS:
        old = _items(before, section) if before is not None else []
        changes.extend(_section(section, old, _items(after, section), KEYS[section]))
    return Diff(after.property.site, tuple(changes))


def _items(doc: PropertyDocument, section: str) -> Sequence[BaseModel]:
    found: BaseModel | Sequence[BaseModel] = getattr(doc, section)
    return [found] if isinstance(found, BaseModel) else found


def _section(
    section: str, old: Sequence[BaseModel], new: Sequence[BaseModel], key: Callable[[Any], str]
) -> list[Change]:
    before = {key(item): _dump(item) for item in old}
    after = {key(item): _dump(item) for item in new}
    changes = [Change("delete", section, k, v, None) for k, v in before.items() if k not in after]
    for k, v in after.items():
        if k not in before:
            changes.append(Change("create", section, k, None, v))
        elif before[k] != v:
            changes.append(Change("update", section, k, before[k], v))
    return changes
