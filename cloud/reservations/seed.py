"""The demo property: site ``hotel`` in Madrid, floors f1 and f2 of ten rooms each, three types, two rates."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy.orm import Session

from cloud.auth.accounts import ensure_property
from cloud.auth.demo import DEMO_CHAIN
from cloud.catalog import service as catalog
from cloud.catalog.models import Floor, Property, RatePlan, RatePrice, RoomType
from cloud.reservations.sales import rooms_inventory

TYPES = [("std", "Standard double", 2, 0), ("sup", "Superior with sofa bed", 3, 1), ("ste", "Suite", 4, 2)]
# nightly base price per type and rate plan, in cents
BASE = {("std", "flex"): 9000, ("sup", "flex"): 12000, ("ste", "flex"): 20000}
WEEKEND = (4, 5)  # Friday and Saturday nights


def _type_of(number: int) -> str:
    return "ste" if number == 10 else "sup" if number >= 7 else "std"


def _floor(session: Session, prop: Property, types: dict[str, RoomType], *, level: int) -> None:
    """Ten rooms: standard 1-6, superior 7-9, the suite at 10; sea view on even numbers."""
    floor = Floor(property_id=prop.id, slug=f"f{level}", level=level)
    session.add(floor)
    session.flush()
    for number in range(1, 11):
        rooms_inventory.add_room(
            session, prop, floor=floor, type_=types[_type_of(number)], slug=f"{level}{number:02d}",
            number=level * 100 + number, view="sea" if number % 2 == 0 else "city",
            accessible=number == 1, near_lift=number <= 2,
        )


def seed_demo(session: Session, *, year: int | None = None) -> Property:
    """Create the demo property once (idempotent by slug); returns it."""
    existing = session.query(Property).filter_by(slug="hotel").one_or_none()
    if existing is not None:
        return existing
    ensure_property(
        session,
        site="hotel",
        chain=DEMO_CHAIN,
        name="Posada Demo Hotel",
        time_zone="Europe/Madrid",
        currency="EUR",
    )  # the staff's view of it
    prop = catalog.create_property(
        session,
        slug="hotel",
        number=1,
        name="Posada Demo Hotel",
        timezone="Europe/Madrid",
        currency="EUR",
        checkin_from=time(15),
        checkin_until=time(23, 59),
        checkout_at=time(11),
        latest_checkout_at=time(14),
        late_checkout_hourly_minor=1500,
    )
    types = {
        code: RoomType(property_id=prop.id, code=code, name=name, max_guests=guests, rank=rank)
        for code, name, guests, rank in TYPES
    }
    session.add_all(types.values())
    session.flush()
    for level in (1, 2):
        _floor(session, prop, types, level=level)
    _rates(session, prop, types, year=year or date.today().year)
    session.flush()
    return prop


def _rates(session: Session, prop: Property, types: dict[str, RoomType], *, year: int) -> None:
    flex = RatePlan(
        property_id=prop.id,
        code="flex",
        name="Flexible",
        refundable=True,
        free_cancel_hours=48,
        cancel_fee_nights=1,
        deposit_kind="first_night",
        min_stay=1,
    )
    nonref = RatePlan(
        property_id=prop.id,
        code="nonref",
        name="Non-refundable, 10% off",
        refundable=False,
        free_cancel_hours=0,
        cancel_fee_nights=0,
        deposit_kind="total",
        min_stay=1,
    )
    session.add_all([flex, nonref])
    session.flush()
    for code, type_ in types.items():
        for plan, factor in ((flex, 100), (nonref, 90)):
            for amount, narrow in _price_grid(BASE[(code, "flex")], year=year):
                session.add(
                    RatePrice(
                        rate_plan_id=plan.id,
                        room_type_id=type_.id,
                        amount_minor=amount * factor // 100,
                        **narrow,
                    )
                )


def _price_grid(base: int, *, year: int) -> list[tuple[int, dict[str, object]]]:
    """Base, dearer weekends, and a summer season (dearer still, two nights at least)."""
    grid: list[tuple[int, dict[str, object]]] = [(base, {}), (base + 2000, {"weekdays": list(WEEKEND)})]
    for y in range(year, year + 3):
        summer = {"season_start": date(y, 6, 15), "season_end": date(y, 9, 15), "min_stay": 2}
        grid.append((base * 3 // 2, summer))
        grid.append((base * 3 // 2 + 2000, {**summer, "weekdays": list(WEEKEND)}))
    return grid
