"""Service requests: types, asking, moving along the lifecycle, charging and telling the guest.

Every change is checked whole before anything is written, so a refusal changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing.folio import ChargeKind
from cloud.billing.settings import BillingSettings
from cloud.catalog.models import Property
from cloud.operations.errors import InvalidOperation, OperationConflict, UnknownThing
from cloud.operations.folio_charge import charge_stay
from cloud.operations.requests import lifecycle
from cloud.operations.requests.guest_message import tell_guest_done
from cloud.operations.requests.lifecycle import DEPARTMENTS, Move, MoveRefused, State
from cloud.operations.requests.models import ServiceRequest, ServiceType
from cloud.reservations.models import Reservation
from mqtt.envelope import new_id

MAX_PRICE_MINOR = 10**9
LANGUAGES = ("en", "es", "zh")


@dataclass(frozen=True, slots=True)
class TypeIn:
    code: str
    department: str
    names: dict[str, str]
    price_minor: int
    charge_kind: str
    promise_minutes: int


@dataclass(frozen=True, slots=True)
class Ask:
    type_code: str
    source: str
    reservation_id: str | None = None
    room: str = ""
    quantity: int = 1
    note: str = ""


def property_of(session: Session, site: str) -> Property:
    prop = session.scalar(select(Property).where(Property.slug == site))
    if prop is None:
        raise UnknownThing(f"no property {site!r}")
    return prop


def _check_type(body: TypeIn) -> None:
    if body.department not in DEPARTMENTS:
        raise InvalidOperation(f"the department is one of {', '.join(DEPARTMENTS)}")
    if body.charge_kind not in {k.value for k in ChargeKind}:
        raise InvalidOperation("the charge kind is one of the folio's kinds")
    if not 0 <= body.price_minor <= MAX_PRICE_MINOR:
        raise InvalidOperation("the price is zero or a positive number of minor units")
    if not 1 <= body.promise_minutes <= 7 * 24 * 60:
        raise InvalidOperation("the promised time is 1 minute to 7 days")
    if not body.names.get("en", "").strip() or set(body.names) - set(LANGUAGES):
        raise InvalidOperation("a service type has an English name, and names only in en, es, zh")


def add_type(session: Session, *, site: str, body: TypeIn) -> ServiceType:
    prop = property_of(session, site)
    _check_type(body)
    if session.scalar(
        select(ServiceType.id).where(ServiceType.property_id == prop.id, ServiceType.code == body.code)
    ):
        raise OperationConflict(f"service type {body.code!r} exists")
    row = ServiceType(
        id=new_id(),
        property_id=prop.id,
        code=body.code,
        department=body.department,
        names={k: v.strip() for k, v in body.names.items()},
        price_minor=body.price_minor,
        currency=prop.currency,
        charge_kind=body.charge_kind,
        promise_minutes=body.promise_minutes,
        active=True,
    )
    session.add(row)
    session.flush()
    return row


def types_of(session: Session, *, site: str) -> list[ServiceType]:
    prop = property_of(session, site)
    return list(
        session.scalars(
            select(ServiceType)
            .where(ServiceType.property_id == prop.id, ServiceType.active)
            .order_by(ServiceType.department, ServiceType.code)
        )
    )


def _stay(session: Session, prop: Property, reservation_id: str | None) -> Reservation | None:
    if reservation_id is None:
        return None
    res = session.get(Reservation, reservation_id)
    if res is None or res.property_id != prop.id:
        raise UnknownThing(f"no reservation {reservation_id} at {prop.slug}")
    if res.status != "checked_in":
        raise OperationConflict("requests are taken for in-house guests")
    return res


def ask(session: Session, *, site: str, body: Ask, actor: str, now: datetime) -> ServiceRequest:
    """A new request; a priced service needs the in-house stay whose folio it goes to."""
    prop = property_of(session, site)
    kind = session.scalar(
        select(ServiceType).where(
            ServiceType.property_id == prop.id, ServiceType.code == body.type_code, ServiceType.active
        )
    )
    if kind is None:
        raise UnknownThing(f"no service type {body.type_code!r} at {site}")
    if not 1 <= body.quantity <= 99:
        raise InvalidOperation("the quantity is 1 to 99")
    res = _stay(session, prop, body.reservation_id)
    if kind.price_minor and res is None:
        raise InvalidOperation("a priced service is asked for an in-house stay (reservation_id)")
    row = ServiceRequest(
        id=new_id(),
        property_id=prop.id,
        type_id=kind.id,
        department=kind.department,
        reservation_id=res.id if res else None,
        room=body.room.strip(),
        quantity=body.quantity,
        note=body.note.strip()[:400],
        source=body.source,
        state=State.NEW.value,
        assignee=None,
        due_at=now + timedelta(minutes=kind.promise_minutes),
        created_at=now,
        created_by=actor[:100],
        updated_at=now,
        charged_minor=0,
    )
    session.add(row)
    session.flush()
    return row


def move(
    session: Session,
    *,
    site: str,
    request_id: str,
    to: Move,
    actor: str,
    assignee: str | None,
    billing: BillingSettings,
    now: datetime,
) -> ServiceRequest:
    """One step of the lifecycle; finishing posts the price and queues the guest's message."""
    prop = property_of(session, site)
    row = session.get(ServiceRequest, request_id)
    if row is None or row.property_id != prop.id:
        raise UnknownThing(f"no service request {request_id} at {site}")
    try:
        step = lifecycle.step(to, state=State(row.state), assignee=assignee or row.assignee, actor=actor)
    except MoveRefused as exc:
        raise OperationConflict(str(exc)) from None
    kind = session.get(ServiceType, row.type_id)
    assert kind is not None
    res = session.get(Reservation, row.reservation_id) if row.reservation_id else None
    if lifecycle.charged_on(to) and res is not None:
        charge_stay(
            session,
            reservation=res,
            site=site,
            kind=kind.charge_kind,
            description=kind.names.get("en", kind.code),
            unit_minor=kind.price_minor,
            quantity=row.quantity,
            currency=kind.currency,
            billing=billing,
            now=now,
        )
        row.charged_minor = kind.price_minor * row.quantity
    row.state, row.assignee, row.updated_at = step.after.value, step.assignee, now
    if step.after is State.DONE and res is not None:
        tell_guest_done(session, res=res, site=site, service=kind.names, request_id=row.id, now=now)
    session.flush()
    return row


def board(session: Session, *, site: str, department: str | None) -> list[tuple[ServiceRequest, ServiceType]]:
    """Open requests, the most urgent first; one department or all."""
    prop = property_of(session, site)
    if department is not None and department not in DEPARTMENTS:
        raise InvalidOperation(f"the department is one of {', '.join(DEPARTMENTS)}")
    query = (
        select(ServiceRequest, ServiceType)
        .join(ServiceType, ServiceType.id == ServiceRequest.type_id)
        .where(
            ServiceRequest.property_id == prop.id,
            ServiceRequest.state.in_([s.value for s in lifecycle.OPEN_STATES]),
        )
        .order_by(ServiceRequest.due_at, ServiceRequest.id)
    )
    if department is not None:
        query = query.where(ServiceRequest.department == department)
    return [(row[0], row[1]) for row in session.execute(query).all()]


def escalate_late(session: Session, *, now: datetime) -> list[ServiceRequest]:
    """Mark every open request past its promised time (once); the board shows them first, in red."""
    rows = list(
        session.scalars(
            select(ServiceRequest).where(
                ServiceRequest.state.in_([s.value for s in lifecycle.OPEN_STATES]),
                ServiceRequest.escalated_at.is_(None),
                ServiceRequest.due_at <= now,
            )
        )
    )
    for row in rows:
        row.escalated_at = now
    session.flush()
    return rows
