"""The recommendation model fed from the records: each stay's room type, preferences and extras.

Own stays are the person's across the chain (every profile of their membership); similar guests'
are the chain's latest checked-out stays. Shown to the desk on the stay page and through the API.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing.models import Charge, Folio
from cloud.catalog.models import Property, RoomType
from cloud.i18n.labels import N_
from cloud.loyalty import membership
from cloud.loyalty.models import MemberProfile
from cloud.loyalty.recommend import Suggestion, recommend
from cloud.reservations.models import Reservation

NOT_EXTRAS = ("room_night", "cancellation", "no_show")
TIER_NAMES = {"member": N_("Member"), "silver": N_("Silver"), "gold": N_("Gold")}  # translated on the page
LEARN_FROM = 2000  # the chain's latest stays that similar guests' habits are read from


def items_of(session: Session, stays: Collection[Reservation]) -> dict[str, frozenset[str]]:
    ids = [res.id for res in stays]
    types = dict(session.execute(select(RoomType.id, RoomType.code)).all())
    extras: dict[str, set[str]] = defaultdict(set)
    rows = session.execute(
        select(Folio.reservation_id, Charge.kind)
        .join(Charge, Charge.folio_id == Folio.id)
        .where(Folio.reservation_id.in_(ids), Charge.kind.not_in(NOT_EXTRAS))
    )
    for reservation_id, kind in rows:
        extras[str(reservation_id)].add(f"extra:{kind}")
    found = {}
    for res in stays:
        prefs = {
            f"pref:{k}" if v is True else f"pref:{k}={v}" for k, v in (res.preferences or {}).items() if v
        }
        found[res.id] = frozenset({f"room:{types.get(res.room_type_id, '?')}", *prefs, *extras[res.id]})
    return found


def person(session: Session, guest_id: str) -> list[str]:
    """Every profile of the same member (one person across the chain), or the profile alone."""
    member = membership.member_of_guest(session, guest_id)
    if member is None:
        return [guest_id]
    return list(session.scalars(select(MemberProfile.guest_id).where(MemberProfile.member_id == member.id)))


def for_guest(session: Session, *, guest_id: str, site: str, top: int = 3) -> list[Suggestion]:
    chain = membership.chain_of_site(session, site)
    chain_sites = select(Property.id).where((Property.chain == chain) | (Property.slug == site))
    sites = list(session.scalars(chain_sites))
    done = (
        select(Reservation)
        .where(Reservation.property_id.in_(sites), Reservation.status == "checked_out")
        .order_by(Reservation.checked_out_at.desc())
        .limit(LEARN_FROM)
    )
    everyone = list(session.scalars(done))
    own = list(
        session.scalars(
            select(Reservation).where(
                Reservation.guest_id.in_(person(session, guest_id)), Reservation.status == "checked_out"
            )
        )
    )
    items = items_of(session, {r.id: r for r in [*everyone, *own]}.values())
    mine = {r.id for r in own}
    return recommend([items[r.id] for r in own], [items[r.id] for r in everyone if r.id not in mine], top=top)


def stay_panel(db: Session, res: Reservation, prop: Property, *, now: datetime) -> dict[str, Any]:
    """The stay page's loyalty section: the member's tier and points, and what to offer."""
    if res.guest_id is None:
        return {}
    member = membership.member_of_guest(db, res.guest_id)
    tier = None if member is None else TIER_NAMES.get(member.tier, member.tier)
    return {
        "member": member,
        "tier": tier,
        "suggestions": for_guest(db, guest_id=res.guest_id, site=prop.slug),
    }
