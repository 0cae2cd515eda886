"""The booking engine's side of chain promotions and recommendations: a code unlocks its
promotion's plan, code-only plans stay out of sight otherwise, and a returning guest who comes
back through their own booking's signed link sees what they are likely to want."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.catalog.models import RoomType
from cloud.guestweb import present
from cloud.guestweb.booking import TypeOffer
from cloud.loyalty.errors import OfferRefused
from cloud.loyalty.promotions import codes, online
from cloud.loyalty.promotions.models import Promotion, PromotionSite
from cloud.loyalty.promotions.terms import is_promotion_plan
from cloud.loyalty.suggestions import for_guest, person
from cloud.reservations.models import Reservation


@dataclass
class Unlocking:
    plan: str | None = None  # the promotion plan the code opened
    refused: bool = False  # one answer for every refusal


def visible(
    session: Session,
    found: list[TypeOffer],
    *,
    site: str,
    code: str,
    secret: str,
    today: date,
    arrival: date,
    departure: date,
    lang: str,
) -> tuple[list[TypeOffer], Unlocking]:
    """The offers a visitor may see (code-only promotions only with their code), names in ``lang``."""
    unlocking = Unlocking()
    if code:
        try:
            unlocking.plan = codes.check(
                session,
                secret=secret,
                code=code,
                site=site,
                today=today,
                arrival=arrival,
                departure=departure,
            ).plan
        except OfferRefused:
            unlocking.refused = True
    plans = {p.plan.code for offer in found for p in offer.plans}
    hidden = online.code_only(session, site=site, plans=plans) - {unlocking.plan}
    names = _names(session, site=site, plans=plans, lang=lang)
    kept = []
    for offer in found:
        offer.plans[:] = [p for p in offer.plans if p.plan.code not in hidden]
        for p in offer.plans:
            p.plan.name = names.get(p.plan.code, p.plan.name)  # detached: shown, never written
        if offer.plans:
            kept.append(offer)
    return kept, unlocking


def _names(session: Session, *, site: str, plans: set[str], lang: str) -> dict[str, str]:
    wanted = [p[1:] for p in plans if is_promotion_plan(p)]
    if not wanted:
        return {}
    language = present.LANG_TO_GUEST.get(lang, "en")
    rows = session.scalars(
        select(Promotion)
        .join(PromotionSite, PromotionSite.promotion_id == Promotion.id)
        .where(PromotionSite.site == site, Promotion.code.in_(wanted))
    )
    return {"~" + p.code: p.names.get(language) or p.names.get("en") or p.code for p in rows}


@dataclass
class ForYou:
    room_types: set[str] = field(default_factory=set)  # codes of this property's types
    labels: list[str] = field(default_factory=list)  # what to show, in the visitor's language


def for_returning(session: Session, *, reservation_id: str, site_id: int, site: str, lang: str) -> ForYou:
    """Suggestions for the guest of a booking reached through its signed link, only if they have
    stayed before (a first-time guest, or anyone else, gets nothing)."""
    res = session.get(Reservation, reservation_id)
    if res is None or res.guest_id is None or res.property_id != site_id:
        return ForYou()
    stays = session.scalar(
        select(func.count())
        .select_from(Reservation)
        .where(Reservation.guest_id.in_(person(session, res.guest_id)), Reservation.status == "checked_out")
    )
    if not stays:
        return ForYou()
    types = {t.code: t for t in session.scalars(select(RoomType).where(RoomType.property_id == site_id))}
    shown = ForYou()
    for suggestion in for_guest(session, guest_id=res.guest_id, site=site, top=4):
        kind, _, value = suggestion.item.partition(":")
        if kind == "room" and value in types:
            shown.room_types.add(value)
            shown.labels.append(present.type_name(types[value], lang))
        elif kind == "extra":
            shown.labels.append(present.charge_kind(value))
    return shown
