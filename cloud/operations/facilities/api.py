"""Facilities under /api/v1/properties/{site}: the list, bookings with their door pass, cancelling."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import ALL_ROLES, Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.core.deps import ClockDep, ServicesDep, SessionsDep
from cloud.core.errors import DomainError
from cloud.operations.facilities import service
from cloud.operations.facilities.door_pass import PassSigner
from cloud.operations.facilities.models import Facility, FacilityBooking
from cloud.operations.schemas import CODE, ID, SLUG, BookingBody, FacilityBody

if TYPE_CHECKING:
    from cloud.services import Services

router = APIRouter(prefix="/api/v1/properties/{site}", tags=["facilities"])
Site = Annotated[str, Path(pattern=SLUG)]
Code = Annotated[str, Path(pattern=CODE)]
Staff = Annotated[Principal, require_role(*(ALL_ROLES - {Role.STOREKEEPER}))]
Desk = Annotated[Principal, require_role(Role.FRONT_DESK, Role.SPA, Role.MANAGER, Role.CHAIN_ADMIN)]
Manager = Annotated[Principal, require_role(Role.MANAGER, Role.CHAIN_ADMIN)]


class PassesUnavailable(DomainError):
    status = 503
    type_ = "/problems/operations/passes-unavailable"
    title = "Door passes cannot be signed here"


def signer_of(services: Services) -> PassSigner:
    """The card issuer, when it can sign a card other than a room's (the keyring's issuer can)."""
    issuer: Any = services.issuer
    if not callable(getattr(issuer, "sign", None)):
        raise PassesUnavailable("this card issuer signs only room cards")
    signer: PassSigner = issuer
    return signer


def facility_json(row: Facility) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "names": row.names,
        "area": row.area,
        "opens": row.opens.isoformat("minutes"),
        "closes": row.closes.isoformat("minutes"),
        "capacity": row.capacity,
        "slot_minutes": row.slot_minutes,
        "price_minor": row.price_minor,
        "currency": row.currency,
        "charge_kind": row.charge_kind,
    }


def booking_json(row: FacilityBooking, place: Facility) -> dict[str, Any]:
    return {
        "id": row.id,
        "facility": place.code,
        "reservation_id": row.reservation_id,
        "day": row.day.isoformat(),
        "start_at": row.start_at.isoformat(),
        "end_at": row.end_at.isoformat(),
        "guests": row.guests,
        "status": row.status,
        "credential_id": row.credential_id,
        "card": row.card,
    }


@router.get("/facilities")
def list_facilities(
    site: Site, user: Staff, scope: SiteScopeDep, sessions: SessionsDep
) -> list[dict[str, Any]]:
    scope.check(site)
    with sessions() as session:
        return [facility_json(f) for f in service.facilities_of(session, site=site)]


@router.post("/facilities", status_code=201)
def add_facility(
    site: Site, body: FacilityBody, user: Manager, scope: SiteScopeDep, sessions: SessionsDep
) -> dict[str, Any]:
    scope.check(site)
    with sessions.begin() as session:
        row = service.add_facility(session, site=site, body=service.FacilityIn(**body.model_dump()))
        audit(session, user, "facility.add", "facility", row.id, {"code": row.code}, site=site)
        return facility_json(row)


@router.post("/facilities/{code}/bookings", status_code=201)
def book(
    site: Site,
    code: Code,
    body: BookingBody,
    user: Desk,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    services: ServicesDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """Book a slot for a stay: refused outside the hours or when full; the answer carries the door pass."""
    scope.check(site)
    with sessions.begin() as session:
        row = service.book(
            session,
            site=site,
            code=code,
            body=service.SlotIn(**body.model_dump(), source="desk"),
            signer=signer_of(services),
            billing=services.settings.billing,
            actor=user.username,
            now=clock(),
        )
        audit(
            session,
            user,
            "facility_booking.add",
            "facility_booking",
            row.id,
            {"facility": code, "credential_id": row.credential_id},
            site=site,
        )
        place = session.get(Facility, row.facility_id)
        assert place is not None
        return booking_json(row, place)


@router.get("/facility-bookings")
def day_bookings(
    site: Site, user: Staff, scope: SiteScopeDep, sessions: SessionsDep, day: Annotated[date, Query()]
) -> list[dict[str, Any]]:
    scope.check(site)
    with sessions() as session:
        return [booking_json(b, f) for b, f in service.bookings_of(session, site=site, day=day)]


@router.post("/facility-bookings/{booking_id}/cancel")
def cancel(
    site: Site,
    booking_id: Annotated[str, Path(pattern=ID)],
    user: Desk,
    scope: SiteScopeDep,
    sessions: SessionsDep,
) -> dict[str, Any]:
    """Free the place and revoke the pass on the property's gateways."""
    scope.check(site)
    with sessions.begin() as session:
        row = service.cancel(session, site=site, booking_id=booking_id)
        audit(session, user, "facility_booking.cancel", "facility_booking", row.id, {}, site=site)
        place = session.get(Facility, row.facility_id)
        assert place is not None
        return booking_json(row, place)
