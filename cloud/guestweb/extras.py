"""Extras on the booking pages (breakfast, parking, late checkout...): services of the property's
catalogue, priced per stay, per night or per night and guest, charged to the folio when the
booking is made and reversed if it is released or cancelled from the guest pages.

The catalogue itself belongs to the service requests (``cloud.operations``), which import this
area; it reaches the booking pages through the ``ExtrasCatalogue`` port the app wires."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing.folio import ChargeKind
from cloud.billing.service import ChargeRequest, post_charge
from cloud.billing.stay_ledger import folio_of
from cloud.billing.tax import TaxPolicy
from cloud.core.errors import NotFound
from cloud.core.money import Money
from cloud.guestweb.models import BookedExtra
from cloud.reservations.errors import InvalidRequest
from cloud.reservations.models import Reservation

MAX_CHOSEN = 10


@dataclass(frozen=True, slots=True)
class Extra:
    code: str
    name: str  # in the visitor's language
    unit_minor: int
    currency: str
    charge_kind: str
    per: str  # "stay", "night" or "night_person"

    def quantity(self, *, nights: int, guests: int) -> int:
        return {"stay": 1, "night": nights, "night_person": nights * guests}[self.per]

    def total_minor(self, *, nights: int, guests: int) -> int:
        return self.unit_minor * self.quantity(nights=nights, guests=guests)


class ExtrasCatalogue(Protocol):
    def offered(self, session: Session, *, site: str, language: str) -> list[Extra]:
        """The extras a guest may add when booking at ``site``, named in ``language``."""
        ...

    def offer(self, session: Session, *, site: str, code: str, per: str) -> Extra:
        """Offer the catalogue's service ``code`` when booking, counted ``per``."""
        ...

    def withdraw(self, session: Session, *, site: str, code: str) -> None: ...


class NoExtras:
    """A catalogue with nothing offered (an app without the service requests)."""

    def offered(self, session: Session, *, site: str, language: str) -> list[Extra]:
        return []

    def offer(self, session: Session, *, site: str, code: str, per: str) -> Extra:
        raise NotFound(f"no service {code!r} to offer")

    def withdraw(self, session: Session, *, site: str, code: str) -> None:
        raise NotFound(f"no service {code!r} offered")


def chosen(offered: list[Extra], codes: list[str]) -> list[Extra]:
    """The extras the form names, each once; a code not offered refuses the whole booking."""
    by_code = {extra.code: extra for extra in offered}
    unknown = sorted(set(codes) - set(by_code))
    if unknown or len(set(codes)) > MAX_CHOSEN:
        raise InvalidRequest(f"extras not offered: {', '.join(unknown)[:200]}" if unknown
                             else "too many extras")
    return [by_code[code] for code in dict.fromkeys(codes)]


def charge(session: Session, res: Reservation, extras: list[Extra], *, guests: int, policy: TaxPolicy,
           now: datetime) -> int:
    """Post the chosen extras to the booking's folio; their total (gross, as priced)."""
    folio = folio_of(session, res.id)
    if folio is None or not extras:
        return 0
    nights = (res.departure - res.arrival).days
    total = 0
    for extra in extras:
        quantity = extra.quantity(nights=nights, guests=guests)
        rows = post_charge(session, folio_id=folio.id, policy=policy, now=now, request=ChargeRequest(
            kind=ChargeKind(extra.charge_kind), description=extra.name[:200], quantity=quantity,
            unit_price=Money(extra.unit_minor, res.currency)))
        total += sum(row.gross_minor for row in rows)
        session.add(BookedExtra(reservation_id=res.id, code=extra.code, name=extra.name[:200],
                                quantity=quantity, charge_kind=extra.charge_kind,
                                unit_minor=extra.unit_minor))
    session.flush()
    return total


def reverse(session: Session, res: Reservation, *, policy: TaxPolicy, now: datetime) -> None:
    """Take the booked extras off the folio again (a discount line of each), once."""
    folio = folio_of(session, res.id)
    rows = list(session.scalars(select(BookedExtra).where(
        BookedExtra.reservation_id == res.id, BookedExtra.reversed_at.is_(None))))
    if folio is None or folio.status != "open":
        return
    for row in rows:
        post_charge(session, folio_id=folio.id, policy=policy, now=now, request=ChargeRequest(
            kind=ChargeKind(row.charge_kind), description=row.name, quantity=row.quantity, discount=True,
            unit_price=Money(row.unit_minor, res.currency)))
        row.reversed_at = now
