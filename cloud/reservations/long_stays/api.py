"""REST API of long stays: the monthly contract, its billing schedule, and service tasks."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.catalog.models import Room
from cloud.core.deps import ClockDep, SessionsDep
from cloud.core.idempotency import transact
from cloud.reservations.api import PROBLEMS
from cloud.reservations.groups.models import ContractService, LongStayContract, ServiceTask
from cloud.reservations.long_stays import service as long_stays
from cloud.reservations.models import Reservation
from cloud.reservations.schemas import ContractIn
from cloud.reservations.web import StaffDep, own, property_for

router = APIRouter(prefix="/api/v1", tags=["long stays"])


class ChargeOut(BaseModel):
    due_on: date
    period_start: date
    period_end: date
    amount_minor: int


class ServiceOut(BaseModel):
    kind: str
    weekdays: list[int]


class ContractOut(BaseModel):
    id: str
    reservation_id: str
    monthly_rate_minor: int
    currency: str
    billing_day: int
    services: list[ServiceOut]
    charges: list[ChargeOut]


class TaskOut(BaseModel):
    id: int
    kind: str
    due_on: date
    room: str | None
    reservation_id: str
    status: str


class Generated(BaseModel):
    created: int


def _contract_out(session: Session, contract: LongStayContract, res: Reservation) -> ContractOut:
    services = session.scalars(select(ContractService).where(ContractService.contract_id == contract.id))
    return ContractOut(
        id=contract.id,
        reservation_id=res.id,
        monthly_rate_minor=contract.monthly_rate_minor,
        currency=contract.currency,
        billing_day=contract.billing_day,
        services=[ServiceOut(kind=s.kind, weekdays=s.weekdays) for s in services],
        charges=[ChargeOut(**vars(c)) for c in long_stays.charges(contract, res)],
    )


@router.post(
    "/reservations/{reservation_id}/contract", status_code=201, response_model=ContractOut, responses=PROBLEMS
)
def create_contract(
    reservation_id: str, body: ContractIn, user: StaffDep, sessions: SessionsDep
) -> ContractOut:
    """Make a stay of four weeks or more a monthly contract with recurring services."""

    def work(session: Session) -> ContractOut:
        res = own(session, user, reservation_id, lock=True)
        contract = long_stays.create_contract(
            session,
            res,
            monthly_rate_minor=body.monthly_rate_minor,
            billing_day=body.billing_day,
            services=[(s.kind, s.weekdays) for s in body.services],
        )
        return _contract_out(session, contract, res)

    return transact(sessions, work)


@router.get("/reservations/{reservation_id}/contract", response_model=ContractOut, responses=PROBLEMS)
def read_contract(reservation_id: str, user: StaffDep, sessions: SessionsDep) -> ContractOut:
    with sessions() as session:
        res = own(session, user, reservation_id)
        return _contract_out(session, long_stays.contract_of(session, res), res)


@router.post("/properties/{site}/tasks/generate", response_model=Generated, responses=PROBLEMS)
def generate_tasks(
    site: str, until: date, user: StaffDep, sessions: SessionsDep, clock: ClockDep
) -> Generated:
    """Turn recurring services into tasks up to ``until`` (safe to run again)."""

    def work(session: Session) -> Generated:
        prop = property_for(session, user, site)
        return Generated(created=long_stays.generate_tasks(session, prop, until=until, now=clock()))

    return transact(sessions, work)


@router.get("/properties/{site}/tasks", response_model=list[TaskOut], responses=PROBLEMS)
def tasks(site: str, day: date, user: StaffDep, sessions: SessionsDep) -> list[TaskOut]:
    with sessions() as session:
        prop = property_for(session, user, site)
        rows = session.execute(
            select(ServiceTask, Room.slug)
            .outerjoin(Room, Room.id == ServiceTask.room_id)
            .join(Reservation, Reservation.id == ServiceTask.reservation_id)
            .where(Reservation.property_id == prop.id, ServiceTask.due_on == day)
            .order_by(ServiceTask.id)
        ).all()
        return [
            TaskOut(
                id=t.id,
                kind=t.kind,
                due_on=t.due_on,
                room=slug,
                reservation_id=t.reservation_id,
                status=t.status,
            )
            for t, slug in rows
        ]
