"""Which doors a card opens: guest rooms, floors for staff, common areas, lift floors."""

from __future__ import annotations

from dataclasses import dataclass

from mqtt.keycard import ALL_FLOORS, Area, Card, Kind


@dataclass(frozen=True, slots=True)
class Door:
    """A reader: a room door (``room``), a common-area door (``area``), or else the lift
    panel asked to go to ``floor``."""

    site: int
    floor: int
    room: int | None = None
    area: Area | None = None
    by_booking: bool = False  # an area door a guest opens only within a slot booked for their stay

    def __post_init__(self) -> None:
        if self.room is not None and self.area is not None:
            raise ValueError("a door is a room door or an area door, not both")
        if self.area is not None and bin(int(self.area)).count("1") != 1:
            raise ValueError("an area door guards exactly one area")
        if self.by_booking and self.area is None:
            raise ValueError("only an area door opens by booking")

    def describe(self) -> str:
        if self.room is not None:
            return f"room {self.room}"
        if self.area is not None:
            return f"area {self.area.name}"
        return f"lift to floor {self.floor}"


def opens(card: Card, door: Door) -> bool:
    if card.site != door.site:
        return False
    if card.kind in (Kind.MASTER, Kind.EMERGENCY):
        return True
    if door.room is not None:
        return card.kind is not Kind.STAFF and _opens_room(card, door.floor, door.room)
    if door.area is not None:
        return bool(card.areas & door.area)
    return card.lift_allows(door.floor)


def _opens_room(card: Card, floor: int, room: int) -> bool:
    if card.kind is Kind.GUEST:
        return card.floor == floor and room in card.rooms
    on_floor = card.floor in (ALL_FLOORS, floor)
    return on_floor and (not card.rooms or room in card.rooms)
