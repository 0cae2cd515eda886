"""A generated year of a 100-room hotel, written through the desk's and billing's own services.

Bookings (some complimentary, some house use, some for guests with a profile), cancellations,
no-shows, check-ins, room moves, extras, early departures, payments, allowances with refunds
and an out-of-order period: each step is the function the API route calls, in the route's
order (the reservation service, then the folio ledger), with the clock moved through the year.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing import property_terms
from cloud.billing.folio import ChargeKind, PaymentMethod, PaymentStage
from cloud.billing.payments import PaymentRequest, record_payment, refund_payment
from cloud.billing.service import ChargeRequest, balances, post_charge
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import FolioLedger, folio_of
from cloud.catalog.models import Property, RatePlan, Room
from cloud.core.errors import DomainError
from cloud.core.money import Money
from cloud.core.nights import Stay
from cloud.guests.models import Guest
from cloud.payments.simulated import SimulatedCardProvider
from cloud.reports.models import RatePlanUsage
from cloud.reservations.models import Reservation
from cloud.reservations.sales import booking, cancellation
from cloud.reservations.sales.rooms_inventory import put_out_of_order
from cloud.reservations.stays import rooms as stay_rooms
from cloud.reservations.stays import service as stays
from cloud.reservations.stays.credentials import CredentialIssuer
from cloud.reservations.stays.ledger import Settle
from cloud.setup import service as setup
from cloud.setup.parsing import parse

SITE = "grand"
ZONE = ZoneInfo("Europe/Madrid")
YEAR_START, YEAR_END = date(2027, 1, 1), date(2028, 1, 1)
TYPES = (("std", 70, 9000), ("sup", 25, 13000), ("ste", 5, 24000))


def document() -> bytes:
    rooms, n = [], 0
    for code, count, _ in TYPES:
        for _ in range(count):
            floor, number = n // 20 + 1, 100 * (n // 20 + 1) + n % 20 + 1
            rooms.append({"id": str(number), "number": number, "floor": f"f{floor}", "type": code})
            n += 1
    prices = []
    for code, _, base in TYPES:
        prices += [{"plan": "flex", "type": code, "amount_minor": base},
                   {"plan": "flex", "type": code, "amount_minor": base + 2345, "weekdays": ["fri", "sat"]},
                   {"plan": "nonref", "type": code, "amount_minor": base * 9 // 10 + 7},
                   {"plan": "comp", "type": code, "amount_minor": 0},
                   {"plan": "house", "type": code, "amount_minor": 0}]
    doc = {
        "version": 1,
        "property": {"site": SITE, "number": 77, "name": "Grand", "chain": "reports-test",
                     "time_zone": "Europe/Madrid", "currency": "EUR", "country": "ES",
                     "prices_include_tax": True, "late_checkout_hourly_minor": 1500},
        "floors": [{"id": f"f{k}", "level": k} for k in range(1, 6)],
        "room_types": [{"code": c, "name": {"en": c}, "max_guests": 3} for c, _, _ in TYPES],
        "rooms": rooms,
        "rate_plans": [{"code": "flex", "name": "Flexible", "free_cancel_hours": 48},
                       {"code": "nonref", "name": "Non-refundable", "refundable": False,
                        "free_cancel_hours": 0, "cancel_fee_nights": 1, "deposit": "total"},
                       {"code": "comp", "name": "Complimentary"},
                       {"code": "house", "name": "House use"}],
        "prices": prices,
        "tax_categories": [
            {"code": "lodging", "name": "Lodging",
             "charge_kinds": ["room_night", "late_checkout", "cancellation", "no_show"]},
            {"code": "other", "name": "Food and services",
             "charge_kinds": ["restaurant", "minibar", "spa", "laundry", "transport"]}],
        "taxes": [{"code": "IVA10", "name": "IVA 10%", "percent": "10", "categories": ["lodging"]},
                  {"code": "IVA21", "name": "IVA 21%", "percent": "21", "categories": ["other"]}],
    }
    return json.dumps(doc).encode()


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE).astimezone(UTC)


@dataclass
class Plan:
    """What will happen to one reservation, decided when it is booked."""

    id: str
    arrival: date
    departure: date
    cancel_on: date | None = None
    no_show: bool = False
    leave_early: bool = False
    move: bool = False
    extras: int = 0
    allowance: bool = False


@dataclass
class Year:
    reservations: int = 0
    refused: int = 0
    moves: int = 0
    refunds: int = 0
    plans: dict[str, Plan] = field(default_factory=dict)


class Hotel:
    """The desk, the clock and the ledger of the generated hotel."""

    def __init__(self, maker: sessionmaker[Session], issuer: CredentialIssuer) -> None:
        self.maker, self.issuer = maker, issuer
        self.ledger = FolioLedger(BillingSettings())
        self.provider = SimulatedCardProvider()

    def setup(self) -> None:
        with self.maker.begin() as s:
            setup.apply(s, parse(document(), fmt="json"), "system:test", now=local(date(2026, 10, 1), 9))
            found = s.scalars(select(RatePlan).join(Property).where(Property.slug == SITE))
            plans = {p.code: p.id for p in found}
            s.add(RatePlanUsage(rate_plan_id=plans["comp"], usage="complimentary", segment="comp"))
            s.add(RatePlanUsage(rate_plan_id=plans["house"], usage="house_use", segment="house"))
            s.add(RatePlanUsage(rate_plan_id=plans["nonref"], usage="sale", segment="leisure"))
            now = local(date(2026, 10, 1), 9)
            for n in range(30):
                s.add(Guest(id=f"G{n:025d}", site=SITE, tier="frequent" if n % 3 == 0 else "normal",
                            created_at=now, updated_at=now))
            room = s.scalar(select(Room).join(Property).where(Property.slug == SITE, Room.slug == "101"))
            assert room is not None
            put_out_of_order(s, room, stay=Stay(date(2027, 2, 1), date(2027, 2, 11)), note="leak")

    def book(self, rng: random.Random, day: date, year: Year) -> None:
        lead = min(int(rng.expovariate(1 / 25)), 120)
        arrival = day + timedelta(days=lead)
        nights = rng.choice((1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14))
        type_ = rng.choices(("std", "sup", "ste"), weights=(70, 25, 5))[0]
        plan = rng.choices(("flex", "nonref", "comp", "house"), weights=(70, 25, 3, 2))[0]
        guest = f"G{rng.randrange(30):025d}" if rng.random() < 0.2 else None
        request = booking.Booking(property=SITE, room_type=type_, rate_plan=plan, arrival=arrival,
                                  departure=arrival + timedelta(days=nights), guest_name="Guest",
                                  guest_id=guest, block_id=None)
        now = local(day, 9, rng.randrange(60))
        try:
            with self.maker.begin() as s:
                res = booking.book(s, request, now=now)
                self.ledger.booked(s, res, now=now)
                rid = res.id
        except DomainError:
            year.refused += 1
            return
        year.reservations += 1
        entry = Plan(rid, arrival, arrival + timedelta(days=nights))
        draw = rng.random()
        # as at a real hotel: flexible bookings made far ahead cancel most, non-refundable ones least
        cancels = 0.02 if plan == "nonref" else 0.06 + (0.3 if lead > 30 else 0.0)
        if draw < cancels and lead > 0:
            entry.cancel_on = day + timedelta(days=rng.randrange(lead + 1))
        elif draw > 0.97:
            entry.no_show = True
        else:
            entry.leave_early = nights >= 3 and rng.random() < 0.08
            entry.move = rng.random() < 0.03
            entry.extras = rng.choice((0, 0, 1, 2, 3))
            entry.allowance = rng.random() < 0.03
        year.plans[rid] = entry

    def _res(self, s: Session, rid: str) -> Reservation:
        return booking.load(s, rid, lock=True)

    def cancel(self, rid: str, now: datetime) -> None:
        with self.maker.begin() as s:
            res = self._res(s, rid)
            cancellation.cancel(s, res, now=now)
            self.ledger.cancelled(s, res, now=now)

    def no_show(self, rid: str, now: datetime) -> None:
        with self.maker.begin() as s:
            res = self._res(s, rid)
            cancellation.no_show(s, res, now=now)
            self.ledger.cancelled(s, res, now=now)

    def check_in(self, rid: str, now: datetime) -> bool:
        try:
            with self.maker.begin() as s:
                res = self._res(s, rid)
                stays.check_in(s, res, issuer=self.issuer, now=now)
                self.ledger.checked_in(s, res, now=now)
        except DomainError:
            return False
        return True

    def move(self, rng: random.Random, rid: str) -> bool:
        """To a room of another type for the whole stay, when one is free."""
        with self.maker() as s:
            res = s.get(Reservation, rid)
            assert res is not None
            others = list(s.scalars(select(Room).join(Property).where(
                Property.slug == SITE, Room.room_type_id != res.inventory_type_id)))
        for room in rng.sample(others, 5):
            try:
                with self.maker.begin() as s:
                    res = self._res(s, rid)
                    stay_rooms.move(s, res, room=s.get(Room, room.id), from_night=None)  # type: ignore[arg-type]
                return True
            except DomainError:
                continue
        return False

    def extra(self, rng: random.Random, rid: str, now: datetime) -> None:
        kind = rng.choice((ChargeKind.RESTAURANT, ChargeKind.MINIBAR, ChargeKind.SPA, ChargeKind.LAUNDRY))
        with self.maker.begin() as s:
            folio = folio_of(s, rid)
            assert folio is not None
            policy = property_terms.tax_policy(s, self.ledger.settings, SITE)
            post_charge(s, folio_id=folio.id, now=now, policy=policy,
                        request=ChargeRequest(kind=kind, description="extra", quantity=rng.randint(1, 3),
                                              unit_price=Money(rng.randrange(350, 4999), "EUR")))

    def check_out(self, rng: random.Random, entry: Plan, now: datetime, year: Year) -> None:
        with self.maker.begin() as s:
            res = self._res(s, entry.id)
            folio = folio_of(s, res.id)
            assert folio is not None
            self.ledger.before_check_out(s, res, settle=Settle.BILL_LATER)
            stays.check_out(s, res, now=now)
            self.ledger.checked_out(s, res, now=now, invoice=False)
            owed = balances(s, folio)["guest"].minor  # type: ignore[index]
            paid = None
            if owed > 0:
                cash = PaymentRequest(amount=Money(owed, "EUR"), method=PaymentMethod.CASH,
                                      stage=PaymentStage.CHECK_OUT)
                paid = record_payment(s, folio_id=folio.id, provider=self.provider, started=None, now=now,
                                      request=cash)
            if entry.allowance and paid is not None:
                give = min(owed, rng.randrange(500, 3000))
                post_charge(s, folio_id=folio.id, now=now,
                            policy=property_terms.tax_policy(s, self.ledger.settings, SITE),
                            request=ChargeRequest(kind=ChargeKind.ROOM_NIGHT, description="allowance",
                                                  discount=True, night=entry.arrival,
                                                  unit_price=Money(give, "EUR")))
                refund_payment(s, payment_id=paid.id, amount=Money(give, "EUR"), provider=self.provider,
                               idempotency_key=f"refund-{entry.id}", now=now)
                year.refunds += 1


def generate(maker: sessionmaker[Session], issuer: CredentialIssuer, *, seed: int = 18,
             per_day: float = 1.0, last_day: date = YEAR_END) -> tuple[Hotel, Year]:
    """Book from 75 days before the year until ``last_day``; every stay that ends by then is closed."""
    rng, hotel, year = random.Random(seed), Hotel(maker, issuer), Year()
    hotel.setup()
    day = YEAR_START - timedelta(days=75)
    while day < last_day:
        _day(rng, hotel, year, day, per_day)
        day += timedelta(days=1)
    return hotel, year


def _day(rng: random.Random, hotel: Hotel, year: Year, day: date, per_day: float) -> None:
    season = 1.4 if day.month in (6, 7, 8, 9) else 0.8 if day.month in (1, 2, 11) else 1.0
    for _ in range(round(per_day * season * rng.uniform(0.6, 1.4))):
        if day < YEAR_END - timedelta(days=1):
            hotel.book(rng, day, year)
    for entry in list(year.plans.values()):
        if entry.departure == day and entry.id in year.plans:
            _leave(rng, hotel, year, entry, day)
        if entry.cancel_on == day:
            hotel.cancel(entry.id, local(day, 12))
            del year.plans[entry.id]
        elif entry.arrival == day - timedelta(days=1) and entry.no_show:
            hotel.no_show(entry.id, local(day, 8))
            del year.plans[entry.id]
        elif entry.arrival == day and not entry.no_show:
            _arrive(rng, hotel, year, entry, day)


def _arrive(rng: random.Random, hotel: Hotel, year: Year, entry: Plan, day: date) -> None:
    if entry.move and hotel.move(rng, entry.id):
        year.moves += 1
    if not hotel.check_in(entry.id, local(day, 16)):
        entry.no_show = True  # no room could be given: recorded as a no-show the next morning
        return
    if entry.leave_early:
        entry.departure -= timedelta(days=1)
    for n in range(entry.extras):
        hotel.extra(rng, entry.id, local(day, 20, n))


def _leave(rng: random.Random, hotel: Hotel, year: Year, entry: Plan, day: date) -> None:
    if entry.no_show:
        return
    hotel.check_out(rng, entry, local(day, 10, rng.randrange(30)), year)
    del year.plans[entry.id]
