"""A long stay's contract: making it, ending it with notice, renewing it, meter readings, parcels.

The room is held by the stay's reservation (made by the booking service), so the contract's dates
are guarded by the same constraints as every booking: a renewal that would need a night already sold
is refused and changes nothing. Every change is checked whole before anything is written."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.core.errors import DomainError
from cloud.core.nights import Stay, local_today
from cloud.operations.errors import InvalidOperation, OperationConflict, UnknownThing
from cloud.operations.long_stays import ending
from cloud.operations.long_stays.models import (
    CYCLES,
    METERS,
    ContractBill,
    ContractTerms,
    MeterReading,
    Parcel,
)
from cloud.reservations.groups.models import ContractService, LongStayContract
from cloud.reservations.long_stays import service as contracts
from cloud.reservations.long_stays.schedule import Charge, cycle_schedule
from cloud.reservations.models import Reservation
from cloud.reservations.stays.credentials import CredentialIssuer
from cloud.reservations.stays.service import change_departure
from mqtt.envelope import new_id

MAX_MINOR = 10**9
_SVG_PATH = re.compile(r"[MLCQZmlcqz0-9 ,.\-]{1,20000}")


@dataclass(frozen=True, slots=True)
class ContractIn:
    cycle: str
    rate_minor: int
    billing_day: int
    deposit_minor: int
    notice_days: int
    auto_renew: bool
    utility_prices: dict[str, int]
    services: list[tuple[str, list[int], int]]  # kind, weekdays, price per visit


def _check(body: ContractIn) -> None:
    if body.cycle not in CYCLES:
        raise InvalidOperation("the billing cycle is monthly or weekly")
    if not 0 <= body.rate_minor <= MAX_MINOR or not 0 <= body.deposit_minor <= MAX_MINOR:
        raise InvalidOperation("rate and deposit are zero or positive minor units")
    if set(body.utility_prices) - set(METERS) or any(
        not 0 <= p <= 10**6 for p in body.utility_prices.values()
    ):
        raise InvalidOperation(f"utilities are priced per unit read, for meters among {', '.join(METERS)}")
    if any(not 0 <= price <= MAX_MINOR for _k, _d, price in body.services):
        raise InvalidOperation("a service's price per visit is zero or positive minor units")


def create(
    session: Session, res: Reservation, body: ContractIn, *, actor: str, now: datetime
) -> LongStayContract:
    """The reservation becomes a contract; its folio is charged period by period, not night by night."""
    _check(body)
    if res.status == "checked_in":
        raise OperationConflict("make the contract before check-in: the nights would already be on the folio")
    try:
        contract = contracts.create_contract(
            session,
            res,
            monthly_rate_minor=body.rate_minor if body.cycle == "monthly" else 0,
            billing_day=body.billing_day,
            services=[(kind, days) for kind, days, _p in body.services],
        )
    except DomainError as exc:
        raise InvalidOperation(str(exc)) from None
    session.add(
        ContractTerms(
            contract_id=contract.id,
            cycle=body.cycle,
            rate_minor=body.rate_minor,
            deposit_minor=body.deposit_minor,
            notice_days=body.notice_days,
            auto_renew=body.auto_renew,
            utility_prices=dict(body.utility_prices),
            service_prices={kind: price for kind, _d, price in body.services},
            created_at=now,
            created_by=actor[:100],
        )
    )
    session.flush()
    _retotal(session, res, contract)
    res.deposit_required_minor = body.deposit_minor
    return contract


def _retotal(session: Session, res: Reservation, contract: LongStayContract) -> None:
    terms = terms_of(session, contract)
    res.total_minor = sum(c.amount_minor for c in charges(terms, contract, res))


def charges(terms: ContractTerms, contract: LongStayContract, res: Reservation) -> list[Charge]:
    return cycle_schedule(
        Stay(res.arrival, res.departure),
        cycle=terms.cycle,
        rate_minor=terms.rate_minor,
        billing_day=contract.billing_day,
    )


def terms_of(session: Session, contract: LongStayContract) -> ContractTerms:
    terms = session.get(ContractTerms, contract.id)
    if terms is None:
        raise UnknownThing("this long stay has no billing terms")
    return terms


def contract_for(
    session: Session, reservation_id: str, *, lock: bool = False
) -> tuple[Reservation, LongStayContract]:
    query = select(Reservation).where(Reservation.id == reservation_id)
    res = session.scalar(query.with_for_update() if lock else query)
    contract = session.scalar(
        select(LongStayContract).where(LongStayContract.reservation_id == reservation_id)
    )
    if res is None or contract is None:
        raise UnknownThing(f"reservation {reservation_id} has no long-stay contract")
    return res, contract


def end(
    session: Session,
    res: Reservation,
    contract: LongStayContract,
    *,
    on: date,
    now: datetime,
    issuer: CredentialIssuer | None = None,
) -> ContractTerms:
    """Notice to end on ``on``: at least the notice period from today; the nights after go back on sale.
    A period already billed past ``on`` is prorated by the next billing run (a correcting line)."""
    terms = terms_of(session, contract)
    today = _today(session, res, now)
    if on < today + timedelta(days=terms.notice_days):
        raise InvalidOperation(
            f"the notice period is {terms.notice_days} days: the earliest end is "
            f"{today + timedelta(days=terms.notice_days)}",
            reason="notice",
        )
    if not res.arrival < on < res.departure:
        raise InvalidOperation("the contract ends after its first night and before its booked end")
    _move_end(session, res, on, issuer=issuer, now=now)
    terms.notice_on, terms.ends_on = today, on
    _retotal(session, res, contract)
    return terms


def renew(
    session: Session,
    res: Reservation,
    contract: LongStayContract,
    *,
    until: date,
    issuer: CredentialIssuer | None = None,
    now: datetime | None = None,
) -> None:
    """Extend the contract (and the room's holding) to ``until``; refused if a night is already sold."""
    terms = terms_of(session, contract)
    if until <= res.departure:
        raise InvalidOperation("a renewal ends after the current end")
    if (until - res.departure).days > 366:
        raise InvalidOperation("a renewal runs for a year at most")
    _move_end(session, res, until, issuer=issuer, now=now)
    terms.ends_on = None
    _retotal(session, res, contract)
    if now is not None:
        ending.renewed(session, res, now=now)  # a renewal alert of the stay is done


def _move_end(
    session: Session,
    res: Reservation,
    departure: date,
    *,
    issuer: CredentialIssuer | None,
    now: datetime | None,
) -> None:
    try:
        with session.begin_nested():
            change_departure(session, res, departure=departure, issuer=issuer, now=now)
    except DomainError as exc:
        raise OperationConflict(
            f"the room is not free for those nights: {exc}", reason="unavailable"
        ) from None


def read_meter(
    session: Session,
    contract: LongStayContract,
    res: Reservation,
    *,
    meter: str,
    reading: int,
    read_on: date,
    actor: str,
) -> MeterReading:
    """A reading never goes backwards; the first one is the starting point, each later one is billed."""
    terms = terms_of(session, contract)
    if meter not in terms.utility_prices:
        raise InvalidOperation(f"this contract has no {meter} meter")
    if not res.arrival <= read_on <= res.departure:
        raise InvalidOperation("a reading is taken during the stay")
    last = session.scalars(
        select(MeterReading)
        .where(MeterReading.contract_id == contract.id, MeterReading.meter == meter)
        .order_by(MeterReading.read_on.desc())
    ).first()
    if last is not None and (read_on <= last.read_on or reading < last.reading):
        raise InvalidOperation(
            f"the last {meter} reading was {last.reading} on {last.read_on}: "
            "a reading is later and not lower",
            reason="backwards",
        )
    row = MeterReading(
        id=new_id(),
        contract_id=contract.id,
        meter=meter,
        read_on=read_on,
        reading=reading,
        created_by=actor[:100],
    )
    session.add(row)
    session.flush()
    return row


def log_parcel(
    session: Session, res: Reservation, *, carrier: str, description: str, actor: str, now: datetime
) -> Parcel:
    if res.status not in ("booked", "checked_in"):
        raise OperationConflict("parcels are logged for current or coming stays")
    if not carrier.strip() or not description.strip():
        raise InvalidOperation("a parcel has a carrier and a description")
    row = Parcel(
        id=new_id(),
        reservation_id=res.id,
        carrier=carrier.strip()[:60],
        description=description.strip()[:200],
        received_at=now,
        received_by=actor[:100],
    )
    session.add(row)
    session.flush()
    return row


def hand_over(
    session: Session, parcel: Parcel, *, signed_by: str, signature_svg: str, actor: str, now: datetime
) -> Parcel:
    """The guest signs (a drawn path, only path commands and numbers) and the parcel is handed over, once."""
    if parcel.handed_at is not None:
        raise OperationConflict("this parcel was already handed over")
    if not signed_by.strip():
        raise InvalidOperation("the person who collects it signs with their name")
    if not _SVG_PATH.fullmatch(signature_svg) or not any(c.isdigit() for c in signature_svg):
        raise InvalidOperation("the signature is a drawn path (M, L, C, Q, Z and numbers)")
    parcel.handed_at, parcel.handed_by = now, actor[:100]
    parcel.signed_by, parcel.signature_svg = signed_by.strip()[:100], signature_svg
    session.flush()
    return parcel


def bills_of(session: Session, contract: LongStayContract) -> list[ContractBill]:
    return list(
        session.scalars(
            select(ContractBill)
            .where(ContractBill.contract_id == contract.id)
            .order_by(ContractBill.period_start)
        )
    )


def services_of(session: Session, contract: LongStayContract) -> list[ContractService]:
    return list(session.scalars(select(ContractService).where(ContractService.contract_id == contract.id)))


def _today(session: Session, res: Reservation, now: datetime) -> date:
    prop = session.get(Property, res.property_id)
    assert prop is not None
    return local_today(now, prop.timezone)
