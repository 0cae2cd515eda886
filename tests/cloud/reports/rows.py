"""Rows as the desk, billing and the channels leave them, written in bulk for tests of the sums:
properties with rooms and plans, reservations with their nights, stay folios with room nights and
an extra, payments and refunds."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from cloud.billing.models import Charge, Folio, Payment
from cloud.catalog import service as catalog
from cloud.catalog.models import Floor, Property, RatePlan, Room, RoomType
from cloud.reports.models import RatePlanUsage
from cloud.reservations.models import Reservation, ReservationNight

START, END = date(2027, 3, 1), date(2027, 5, 1)


def hotels(s: Session, sites: dict[str, str]) -> None:
    """A property per site (slug -> currency) of five rooms, a flexible plan and a house-use plan."""
    for number, (site, currency) in enumerate(sites.items(), start=1):
        prop = catalog.create_property(s, slug=site, number=number, name=site, timezone="Europe/Madrid",
                                       currency=currency)
        prop.chain = "c1"
        floor = Floor(property_id=prop.id, slug="f1", level=1)
        type_ = RoomType(property_id=prop.id, code="std", name="std", max_guests=2)
        house = RatePlan(property_id=prop.id, code="house", name="House")
        s.add_all([floor, type_, RatePlan(property_id=prop.id, code="flex", name="Flexible"), house])
        s.flush()
        s.add_all([Room(property_id=prop.id, floor_id=floor.id, room_type_id=type_.id, slug=f"r{n}",
                        number=100 + n) for n in range(5)])
        s.add(RatePlanUsage(rate_plan_id=house.id, usage="house_use"))
    s.flush()


def book(s: Session, rng: random.Random, n: int) -> None:
    props = list(s.execute(select(Property.id, Property.slug, Property.currency)))
    prop_id, site, currency = rng.choice(props)
    type_id = s.scalar(select(RoomType.id).where(RoomType.property_id == prop_id))
    plans = list(s.scalars(select(RatePlan.id).where(RatePlan.property_id == prop_id)))
    arrival = START + timedelta(days=rng.randrange(55))
    nights = [arrival + timedelta(days=k) for k in range(rng.randint(1, 4))]
    rid, at = f"R{n:025d}", datetime(2027, 2, 1, 12, tzinfo=UTC)
    s.execute(insert(Reservation).values(
        id=rid, property_id=prop_id, status=rng.choice(["booked", "checked_in", "checked_out"]),
        guest_name_enc="G", adults=1, children=0, room_type_id=type_id, inventory_type_id=type_id,
        rate_plan_id=rng.choice(plans), arrival=nights[0], departure=nights[-1] + timedelta(days=1),
        currency=currency, total_minor=0, deposit_required_minor=0, checkout_due_at=at, preferences={},
        notes="", created_at=at))
    s.execute(insert(ReservationNight), [
        {"reservation_id": rid, "night": d, "amount_minor": rng.choice([0, 9000])} for d in nights])
    if rng.random() < 0.6:  # a stay folio with its room nights, an extra and a payment
        folio = f"F{n:025d}"
        s.execute(insert(Folio).values(id=folio, site=site, reservation_id=rid, kind="stay",
                                       currency=currency,
                                       guest_name_enc="G", guest_language="en", status="open", created_at=at,
                                       routed_kinds=[]))
        posted = (datetime.combine(nights[0], datetime.min.time(), tzinfo=UTC)
                  + timedelta(hours=rng.randrange(24)))
        lines = [("room_night", d, 9000) for d in nights] + [("restaurant", None, rng.randint(100, 900))]
        s.execute(insert(Charge), [
            {"id": f"C{n:023d}{k:02d}", "folio_id": folio, "origin_folio_id": folio, "payer": "guest",
             "kind": kind, "description": "", "discount": False, "quantity": 1, "unit_minor": amount,
             "currency": currency, "net_minor": amount - amount // 11, "tax_minor": amount // 11,
             "gross_minor": amount, "taxes": {}, "night": night, "posted_at": posted}
            for k, (kind, night, amount) in enumerate(lines)])
        paid = {"folio_id": folio, "payer": "guest", "method": "cash", "stage": "check_out",
                "currency": currency,
                "amount_minor": rng.randint(1000, 5000), "created_at": posted}
        s.execute(insert(Payment).values(id=f"P{n:025d}", direction="payment",
                                         status=rng.choice(["pending", "succeeded"]), **paid))
        if rng.random() < 0.3:
            s.execute(insert(Payment).values(id=f"Q{n:025d}", direction="refund", refund_of=f"P{n:025d}",
                                             status="pending", **paid))


