"""What the reservations routes need beyond the shared dependencies (``cloud.core.deps``): the
front desk, the card issuer, the guest history, and the lookups that check the user's property."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from cloud.auth.deps import GuestDataUser, check_property
from cloud.auth.roles import Principal
from cloud.catalog import service as catalog
from cloud.catalog.models import Property
from cloud.core.deps import services
from cloud.reservations.groups import service as groups
from cloud.reservations.groups.models import GroupBlock
from cloud.reservations.models import Reservation
from cloud.reservations.sales import booking
from cloud.reservations.stays.credentials import CredentialIssuer
from cloud.reservations.stays.guest_history import StayHistory


async def _front_desk(principal: GuestDataUser) -> Principal:
    """Front desk, managers and chain admins (no session is held: these routes run their own
    transactions, and SQLite has a single writer)."""
    return principal


def allow(session: Session, user: Principal, site: str) -> None:
    """Refuse staff of other properties."""
    check_property(session, user, site)


def property_for(session: Session, user: Principal, site: str) -> Property:
    allow(session, user, site)
    return catalog.get_property(session, site)


def own_block(session: Session, user: Principal, block_id: str) -> GroupBlock:
    block = groups.get_block(session, block_id)
    prop = session.get(Property, block.property_id)
    assert prop is not None
    allow(session, user, prop.slug)
    return block


def own(session: Session, user: Principal, reservation_id: str, *, lock: bool = False) -> Reservation:
    """The reservation, if the user works at its property."""
    return own_stay(session, user, reservation_id, lock=lock)[0]


def own_stay(
    session: Session, user: Principal, reservation_id: str, *, lock: bool = False
) -> tuple[Reservation, Property]:
    """The reservation and its property, if the user works there (the pages' lookup too)."""
    res = booking.load(session, reservation_id, lock=lock)
    prop = session.get(Property, res.property_id)
    assert prop is not None
    allow(session, user, prop.slug)
    return res, prop


async def _issuer(request: Request) -> CredentialIssuer:
    return services(request).issuer


async def _history(request: Request) -> StayHistory:
    return services(request).history


StaffDep = Annotated[Principal, Depends(_front_desk)]
IssuerDep = Annotated[CredentialIssuer, Depends(_issuer)]
HistoryDep = Annotated[StayHistory, Depends(_history)]
