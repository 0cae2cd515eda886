"""The property a document is written into, and its rows by document key (kept current)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cloud.catalog.charges import TaxCategory
from cloud.catalog.models import Floor, Property, RatePlan, Room, RoomType
from cloud.reservations.models import TypeInventory
from cloud.setup.document import PropertyDocument


@dataclass
class Target:
    """The property being written and its rows by document key, kept current as rows are made."""

    session: Session
    doc: PropertyDocument
    today: date
    prop: Property | None = None
    floors: dict[str, Floor] = field(default_factory=dict)
    types: dict[str, RoomType] = field(default_factory=dict)
    plans: dict[str, RatePlan] = field(default_factory=dict)
    rooms: dict[str, Room] = field(default_factory=dict)
    categories: dict[str, TaxCategory] = field(default_factory=dict)

    @property
    def existing(self) -> Property:
        assert self.prop is not None, "the property is written first"
        return self.prop

    @property
    def property_id(self) -> int:
        assert self.prop is not None
        return self.prop.id

    def load(self) -> None:
        assert self.prop is not None
        where = self.prop.id
        s = self.session
        self.floors = {f.slug: f for f in s.scalars(select(Floor).where(Floor.property_id == where))}
        self.types = {t.code: t for t in s.scalars(select(RoomType).where(RoomType.property_id == where))}
        self.plans = {p.code: p for p in s.scalars(select(RatePlan).where(RatePlan.property_id == where))}
        self.rooms = {r.slug: r for r in s.scalars(select(Room).where(Room.property_id == where))}
        self.categories = {
            c.code: c for c in s.scalars(select(TaxCategory).where(TaxCategory.property_id == where))
        }


def capacity(session: Session, type_id: int, *, since: date, delta: int, until: date | None = None) -> None:
    """Change the type's capacity on every night counted from ``since`` (the CHECK refuses overselling)."""
    where = [TypeInventory.room_type_id == type_id, TypeInventory.night >= since]
    if until is not None:
        where.append(TypeInventory.night < until)
    session.execute(
        update(TypeInventory)
        .where(*where)
        .values(capacity=TypeInventory.capacity + delta)
        .execution_options(synchronize_session=False)
    )


def as_date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))
