"""REST API of the guest registry (front desk, managers, chain administrators)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from cloud.auth.accounts import visible_sites
from cloud.auth.deps import GuestDataUser, check_property
from cloud.auth.errors import Forbidden
from cloud.auth.roles import Principal
from cloud.core.deps import DbSession
from cloud.guests import lifecycle, registry
from cloud.guests.context import guest_context
from cloud.guests.errors import GuestNotFound, InvalidGuest
from cloud.guests.models import Guest
from cloud.guests.schemas import GuestInput, GuestSummary, GuestView, StayView

router = APIRouter(prefix="/api/v1/guests", tags=["guests"])
GuestId = Annotated[str, Path(min_length=26, max_length=26, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"


class MergeRequest(BaseModel):
    other_id: str = Field(min_length=26, max_length=26, pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")


class Profile(BaseModel):
    guest: GuestView
    stays: list[StayView]
    spend: dict[str, int]
    duplicates: list[GuestSummary]


def visible_guest(db: Session, user: Principal, guest_id: str) -> Guest:
    """The guest, if it belongs to a property the user works at (404 otherwise: no probing)."""
    guest = registry.load(db, guest_id)
    try:
        check_property(db, user, guest.site)
    except Forbidden as exc:
        raise GuestNotFound(f"no guest {guest_id!r}") from exc
    return guest


@router.get("", response_model=list[GuestSummary])
def search_guests(request: Request, db: DbSession, user: GuestDataUser,
                  q: Annotated[str, Query(min_length=1, max_length=200)]) -> list[GuestSummary]:
    vault = guest_context(request).vault
    return registry.search(db, vault, sites=visible_sites(db, user), text=q)


@router.post("", response_model=GuestView, status_code=201)
def register_guest(request: Request, db: DbSession, user: GuestDataUser, body: GuestInput,
                   site: Annotated[str | None, Query(pattern=SLUG)] = None) -> GuestView:
    site = site or user.site
    if site is None:
        raise InvalidGuest("name the property with ?site= (a chain administrator has none of their own)")
    check_property(db, user, site)
    vault = guest_context(request).vault
    return registry.view(vault, registry.register(db, vault, actor=user, site=site, data=body))


@router.get("/{guest_id}", response_model=Profile)
def get_guest(request: Request, db: DbSession, user: GuestDataUser, guest_id: GuestId) -> Profile:
    vault = guest_context(request).vault
    guest = visible_guest(db, user, guest_id)
    stays = lifecycle.stays_of(db, guest)
    return Profile(guest=registry.view(vault, guest), stays=stays, spend=lifecycle.spend_of(stays),
                   duplicates=registry.duplicates_of(db, vault, guest))


@router.put("/{guest_id}", response_model=GuestView)
def update_guest(request: Request, db: DbSession, user: GuestDataUser, guest_id: GuestId,
                 body: GuestInput) -> GuestView:
    vault = guest_context(request).vault
    guest = registry.update(db, vault, actor=user, guest=visible_guest(db, user, guest_id), data=body)
    return registry.view(vault, guest)


@router.get("/{guest_id}/export")
def export_guest(request: Request, db: DbSession, user: GuestDataUser, guest_id: GuestId) -> dict[str, Any]:
    vault = guest_context(request).vault
    return lifecycle.export(db, vault, actor=user, guest=visible_guest(db, user, guest_id),
                            copies=guest_context(request).copies)


@router.delete("/{guest_id}", status_code=204)
def erase_guest(request: Request, db: DbSession, user: GuestDataUser, guest_id: GuestId) -> None:
    context = guest_context(request)
    guest = visible_guest(db, user, guest_id)
    lifecycle.erase(db, context.vault, actor=user, guest=guest, copies=context.copies)


@router.post("/{guest_id}/merge", response_model=GuestView)
def merge_guests(request: Request, db: DbSession, user: GuestDataUser, guest_id: GuestId,
                 body: MergeRequest) -> GuestView:
    ctx = guest_context(request)
    keep, other = visible_guest(db, user, guest_id), visible_guest(db, user, body.other_id)
    merged = lifecycle.merge(db, ctx.vault, actor=user, keep=keep, other=other, settings=ctx.settings,
                               hooks=ctx.merges)
    return registry.view(ctx.vault, merged)
