"""Long stays: a contract with a monthly rate, a billing day, and recurring services that become tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.core.nights import Stay, local_today
from cloud.reservations.errors import InvalidRequest, UnknownResource, WrongState
from cloud.reservations.groups.models import ContractService, LongStayContract, ServiceTask
from cloud.reservations.long_stays.schedule import Charge, schedule, service_days
from cloud.reservations.models import HOLDING, Reservation, RoomAllocation
from mqtt.envelope import new_id

MIN_NIGHTS = 28


def create_contract(
    session: Session,
    res: Reservation,
    *,
    monthly_rate_minor: int,
    billing_day: int,
    services: Sequence[tuple[str, Sequence[int]]],
) -> LongStayContract:
    """Turn a stay of four weeks or more into a monthly contract with its recurring services."""
    if res.status not in HOLDING:
        raise WrongState(f"a {res.status} reservation cannot get a contract")
    if (res.departure - res.arrival).days < MIN_NIGHTS:
        raise InvalidRequest(f"a long-stay contract needs at least {MIN_NIGHTS} nights")
    if session.scalar(select(LongStayContract).where(LongStayContract.reservation_id == res.id)):
        raise WrongState("this reservation already has a contract")
    for kind, weekdays in services:
        if not weekdays or any(not 0 <= d <= 6 for d in weekdays):
            raise InvalidRequest(f"service {kind!r}: weekdays are 0 (Monday) to 6 (Sunday)")
    contract = LongStayContract(
        id=new_id(),
        reservation_id=res.id,
        monthly_rate_minor=monthly_rate_minor,
        currency=res.currency,
        billing_day=billing_day,
    )
    session.add(contract)
    session.flush()
    session.add_all(
        ContractService(contract_id=contract.id, kind=kind, weekdays=sorted(set(weekdays)))
        for kind, weekdays in services
    )
    res.total_minor = sum(c.amount_minor for c in charges(contract, res))
    res.deposit_required_minor = min(res.deposit_required_minor, res.total_minor)
    session.flush()
    return contract


def charges(contract: LongStayContract, res: Reservation) -> list[Charge]:
    return schedule(
        Stay(res.arrival, res.departure),
        billing_day=contract.billing_day,
        monthly_minor=contract.monthly_rate_minor,
    )


def contract_of(session: Session, res: Reservation) -> LongStayContract:
    contract = session.scalar(select(LongStayContract).where(LongStayContract.reservation_id == res.id))
    if contract is None:
        raise UnknownResource(f"reservation {res.id} has no long-stay contract")
    return contract


def generate_tasks(session: Session, prop: Property, *, until: date, now: datetime) -> int:
    """Create the service tasks due from today until ``until`` (idempotent); returns how many are new."""
    today = local_today(now, prop.timezone)
    made = 0
    rows = session.execute(
        select(ContractService, Reservation)
        .join(LongStayContract, LongStayContract.id == ContractService.contract_id)
        .join(Reservation, Reservation.id == LongStayContract.reservation_id)
        .where(Reservation.property_id == prop.id, Reservation.status.in_(HOLDING))
    ).all()
    for service, res in rows:
        existing = set(
            session.scalars(select(ServiceTask.due_on).where(ServiceTask.service_id == service.id))
        )
        for day in service_days(
            Stay(res.arrival, res.departure), frozenset(service.weekdays), start=today, until=until
        ):
            if day not in existing:
                session.add(
                    ServiceTask(
                        service_id=service.id,
                        reservation_id=res.id,
                        kind=service.kind,
                        due_on=day,
                        room_id=_room_on(session, res.id, day),
                        status="open",
                    )
                )
                made += 1
    session.flush()
    return made


def _room_on(session: Session, reservation_id: str, day: date) -> int | None:
    return session.scalar(
        select(RoomAllocation.room_id).where(
            RoomAllocation.reservation_id == reservation_id,
            RoomAllocation.start_night <= day,
            RoomAllocation.end_night > day,
        )
    )
