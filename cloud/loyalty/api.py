"""REST API of the loyalty programme: membership, the points ledger, redemptions, settlements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy.orm import Session

from cloud.auth.accounts import visible_sites
from cloud.auth.audit import audit
from cloud.auth.deps import GuestDataUser, StaffAdmin, check_property
from cloud.auth.roles import Principal
from cloud.core.deps import DbSession, request_time, services
from cloud.guests.api import visible_guest
from cloud.loyalty import chain_rules, ledger, membership, redemptions, suggestions, views
from cloud.loyalty.errors import InvalidLoyalty, MemberNotFound, RedemptionNotFound
from cloud.loyalty.models import Member, Redemption
from cloud.loyalty.schemas import (
    SLUG,
    ULID,
    EnrollIn,
    EntryOut,
    LotOut,
    MemberOut,
    RedemptionIn,
    RedemptionOut,
    SettlementOut,
    SuggestionOut,
)
from cloud.reservations.web import own_stay

router = APIRouter(prefix="/api/v1/loyalty", tags=["loyalty"])
MemberId = Annotated[str, Path(pattern=ULID)]
GuestId = Annotated[str, Path(pattern=ULID)]
Site = Annotated[str, Path(pattern=SLUG)]


def visible_member(db: Session, user: Principal, member_id: str) -> tuple[Member, list[str]]:
    """The member, if one of their profiles is at a property the user sees (404 otherwise)."""
    sites = visible_sites(db, user)
    try:
        member = membership.load(db, member_id)
    except MemberNotFound:
        raise MemberNotFound(f"no member {member_id!r}") from None
    if not set(membership.sites_of(db, member)) & set(sites):
        raise MemberNotFound(f"no member {member_id!r}")
    return member, sites


@router.post("/members", response_model=MemberOut, status_code=201)
def enroll(db: DbSession, user: GuestDataUser, body: EnrollIn) -> MemberOut:
    """Enrol a registry profile; a chain-mate profile with the same email or phone shares its membership."""
    guest = visible_guest(db, user, body.guest_id)
    member = membership.enroll(db, actor=user, guest=guest)
    return views.member_out(db, member, sites=visible_sites(db, user))


@router.get("/members/{member_id}", response_model=MemberOut)
def get_member(db: DbSession, user: GuestDataUser, member_id: MemberId) -> MemberOut:
    member, sites = visible_member(db, user, member_id)
    return views.member_out(db, member, sites=sites)


@router.get("/guests/{guest_id}/member", response_model=MemberOut)
def member_of_guest(db: DbSession, user: GuestDataUser, guest_id: GuestId) -> MemberOut:
    guest = visible_guest(db, user, guest_id)
    member = membership.member_of_guest(db, guest.id)
    if member is None:
        raise MemberNotFound(f"guest {guest_id} is not a member")
    return views.member_out(db, member, sites=visible_sites(db, user))


@router.get("/members/{member_id}/entries", response_model=list[EntryOut])
def entries(db: DbSession, user: GuestDataUser, member_id: MemberId) -> list[EntryOut]:
    member, _sites = visible_member(db, user, member_id)
    return views.entries_of(db, member)


@router.get("/members/{member_id}/lots", response_model=list[LotOut])
def lots(db: DbSession, user: GuestDataUser, member_id: MemberId) -> list[LotOut]:
    member, _sites = visible_member(db, user, member_id)
    return views.lots_out(db, member)


@router.post("/members/{member_id}/redemptions", response_model=RedemptionOut, status_code=201)
def redeem(
    request: Request, db: DbSession, user: GuestDataUser, member_id: MemberId, body: RedemptionIn
) -> RedemptionOut:
    """Spend points on a night, a service or an upgrade at a property the user works at."""
    check_property(db, user, body.site)
    member, _sites = visible_member(db, user, member_id)
    if body.reservation_id is not None and own_stay(db, user, body.reservation_id)[1].slug != body.site:
        raise InvalidLoyalty("the reservation is not at the property of the redemption")
    rules = chain_rules.for_site(db, body.site)
    done = ledger.redeem(
        db,
        member.id,
        site=body.site,
        kind=body.kind,
        points=body.points,
        actor=f"staff:{user.username}",
        reservation_id=body.reservation_id,
        note=body.note,
        rules=rules,
        now=request_time(request),
    )
    redemptions.on_folio(db, services(request).settings.billing, done, service_kind=body.service_kind,
                         now=request_time(request))
    audit(
        db,
        user,
        "loyalty.redeem",
        "loyalty_member",
        member.id,
        {"redemption": done.id, "points": done.points, "kind": done.kind},
        site=body.site,
    )
    return _redemption_out(done, available=member.available)


def _redemption_out(done: Redemption, *, available: int) -> RedemptionOut:
    return RedemptionOut(
        id=done.id,
        member_id=done.member_id,
        site=done.site,
        kind=done.kind,
        points=done.points,
        value_minor=done.value_minor,
        currency=done.currency,
        reservation_id=done.reservation_id,
        available_after=available,
        folio_charge_id=done.folio_charge_id,
        reversed_at=done.reversed_at,
    )


@router.post("/members/{member_id}/redemptions/{redemption_id}/reverse", response_model=RedemptionOut)
def reverse_redemption(
    request: Request, db: DbSession, user: GuestDataUser, member_id: MemberId, redemption_id: MemberId
) -> RedemptionOut:
    """Undo a redemption at the user's property: the points go back, the folio's allowance is taken back."""
    member, _sites = visible_member(db, user, member_id)
    found = db.get(Redemption, redemption_id)
    if found is None or found.member_id != member.id:
        raise RedemptionNotFound(f"no redemption {redemption_id!r}")
    check_property(db, user, found.site)
    first = found.reversed_at is None
    done = redemptions.reverse(
        db, services(request).settings.billing, member.id, found.id, actor=f"staff:{user.username}",
        rules=chain_rules.for_site(db, found.site), now=request_time(request),
    )
    if first:
        audit(db, user, "loyalty.unredeem", "loyalty_member", member.id,
              {"redemption": done.id, "points": done.points}, site=done.site)
    return _redemption_out(done, available=member.available)


@router.get("/properties/{site}/settlement", response_model=SettlementOut)
def settlement(db: DbSession, user: StaffAdmin, site: Site) -> SettlementOut:
    """The property's points sub-ledger, for settling redemptions between the chain's hotels."""
    check_property(db, user, site)
    return views.settlement_of(db, site)


@router.get("/guests/{guest_id}/recommendations", response_model=list[SuggestionOut])
def recommendations(db: DbSession, user: GuestDataUser, guest_id: GuestId) -> list[SuggestionOut]:
    """What to offer the guest (room type, preferences, extras), each with the evidence behind it."""
    guest = visible_guest(db, user, guest_id)
    found = suggestions.for_guest(db, guest_id=guest.id, site=guest.site)
    return [SuggestionOut.model_validate(s, from_attributes=True) for s in found]
