"""Chain promotions at the properties: pushed as a rate plan of each property (so the desk, the
booking engine and the channels sell it through their usual path), declined, withdrawn.

A promotion's prices are derived from the property's base plan when it is pushed, and kept: a
published offer (on channels, in a campaign) does not change under the guest because the base
plan moved. A manager or headquarters reprices it from the base plan's current prices at will
(``reprice``); the page says when each property's prices were derived.

Declining or withdrawing closes the plan with a stop-sell restriction over the promotion's
nights: bookings made meanwhile keep their plan and price.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.roles import Principal
from cloud.catalog import service as catalog
from cloud.catalog.models import Property, RatePlan, RatePrice, Restriction, RoomType
from cloud.loyalty.errors import InvalidLoyalty, PromotionConflict, PromotionNotFound
from cloud.loyalty.promotions.models import Promotion, PromotionSite
from cloud.loyalty.promotions.terms import adjusted, derived, plan_code


def load(session: Session, promotion_id: str, *, chain: str) -> Promotion:
    found = session.get(Promotion, promotion_id)
    if found is None or found.chain != chain:
        raise PromotionNotFound(f"no promotion {promotion_id!r}")
    return found


def push(session: Session, promo: Promotion, *, site: str, actor: Principal, now: datetime) -> PromotionSite:
    """Make the promotion a rate plan of ``site`` (once); prices from the property's base plan."""
    if promo.status != "active":
        raise PromotionConflict("a withdrawn promotion is not pushed")
    prop = session.scalar(select(Property).where(Property.slug == site))
    if prop is None or prop.chain != promo.chain:
        raise InvalidLoyalty(f"property {site!r} is not in the promotion's chain")
    known = session.get(PromotionSite, (promo.id, site))
    if known is not None:
        return known
    base = session.scalar(
        select(RatePlan).where(RatePlan.property_id == prop.id, RatePlan.code == promo.base_plan)
    )
    if base is None:
        raise InvalidLoyalty(
            f"property {site!r} has no rate plan {promo.base_plan!r} to price the promotion from"
        )
    code = plan_code(promo.code)
    if session.scalar(select(RatePlan.id).where(RatePlan.property_id == prop.id, RatePlan.code == code)):
        raise PromotionConflict(f"property {site!r} already has a rate plan {code!r}")
    plan = RatePlan(
        property_id=prop.id,
        code=code,
        name=promo.names.get("en", promo.code)[:200],
        refundable=base.refundable,
        free_cancel_hours=base.free_cancel_hours,
        cancel_fee_nights=base.cancel_fee_nights,
        deposit_kind=base.deposit_kind,
        deposit_percent=base.deposit_percent,
        min_stay=max(base.min_stay, promo.min_nights),
        meals=base.meals,
    )
    session.add(plan)
    session.flush()
    priced = _prices(session, promo, base=base, plan=plan, property_id=prop.id)
    if not priced:
        raise InvalidLoyalty(f"the base plan at {site!r} has no price on the promotion's nights and rooms")
    row = PromotionSite(
        promotion_id=promo.id,
        site=site,
        rate_plan_id=plan.id,
        state="active",
        changed_by=actor.username,
        changed_at=now,
        priced_at=now,
    )
    session.add(row)
    audit(
        session, actor, "promotion.push", "promotion", promo.id, {"plan": code, "prices": priced}, site=site
    )
    return row


def _prices(session: Session, promo: Promotion, *, base: RatePlan, plan: RatePlan, property_id: int) -> int:
    """The promotion's prices at a property, one row per weekday and run of equal base prices."""
    types = {
        t.id: t.code for t in session.scalars(select(RoomType).where(RoomType.property_id == property_id))
    }
    wanted = [type_id for type_id, code in types.items() if not promo.room_types or code in promo.room_types]
    days = None if promo.weekdays is None else frozenset(promo.weekdays)
    rows = catalog.all_price_rules(session, plan_ids=[base.id], type_ids=wanted)
    count = 0
    for (_plan_id, type_id), rules in sorted(rows.items()):
        for rule in derived(rules, start=promo.stay_from, end=promo.stay_until, weekdays=days):
            session.add(
                RatePrice(
                    rate_plan_id=plan.id,
                    room_type_id=type_id,
                    min_stay=rule.min_stay,
                    amount_minor=adjusted(rule.amount_minor, rule=promo.price_rule, value=promo.price_value),
                    season_start=rule.season_start,
                    season_end=rule.season_end,
                    weekdays=sorted(rule.weekdays or ()),
                )
            )
            count += 1
    return count


def reprice(
    session: Session, promo: Promotion, *, site: str, actor: Principal, now: datetime
) -> PromotionSite:
    """Derive the promotion's prices at ``site`` again from the base plan's current prices.

    Bookings made keep their price; the old rows go and the new ones come in one transaction."""
    row = session.get(PromotionSite, (promo.id, site), with_for_update=True)
    if row is None:
        raise PromotionNotFound(f"promotion {promo.code!r} was not pushed to {site!r}")
    if row.state == "withdrawn" or promo.status != "active":
        raise PromotionConflict("the chain withdrew this promotion")
    plan = session.get(RatePlan, row.rate_plan_id)
    assert plan is not None
    base = session.scalar(
        select(RatePlan).where(RatePlan.property_id == plan.property_id, RatePlan.code == promo.base_plan)
    )
    if base is None:
        raise InvalidLoyalty(
            f"property {site!r} has no rate plan {promo.base_plan!r} to price the promotion from"
        )
    old = _price_rows(session, plan.id)
    session.execute(delete(RatePrice).where(RatePrice.rate_plan_id == plan.id))
    session.flush()
    if not _prices(session, promo, base=base, plan=plan, property_id=plan.property_id):
        raise InvalidLoyalty(f"the base plan at {site!r} has no price on the promotion's nights and rooms")
    session.flush()
    new = _price_rows(session, plan.id)
    row.priced_at = now
    audit(
        session,
        actor,
        "promotion.reprice",
        "promotion",
        promo.id,
        {"site": site, "before": old, "after": new, "changed": old != new},
        site=site,
    )
    return row


def _price_rows(session: Session, plan_id: int) -> list[list[object]]:
    rows = session.scalars(select(RatePrice).where(RatePrice.rate_plan_id == plan_id))
    return sorted(
        [
            [r.room_type_id, str(r.season_start), str(r.season_end), sorted(r.weekdays or ()), r.amount_minor]
            for r in rows
        ],
        key=str,
    )


def set_state(
    session: Session, promo: Promotion, *, site: str, state: str, actor: Principal, now: datetime
) -> PromotionSite:
    """A property declines (``opted_out``) or takes back (``active``) a promotion pushed to it."""
    row = session.get(PromotionSite, (promo.id, site), with_for_update=True)
    if row is None:
        raise PromotionNotFound(f"promotion {promo.code!r} was not pushed to {site!r}")
    if row.state == "withdrawn" or promo.status != "active":
        raise PromotionConflict("the chain withdrew this promotion")
    if state == "opted_out" and not promo.opt_out:
        raise PromotionConflict("the chain does not let properties decline this promotion")
    if row.state != state:
        _close(session, promo, row, closed=state != "active")
        row.state, row.changed_by, row.changed_at = state, actor.username, now
        audit(session, actor, f"promotion.{state}", "promotion", promo.id, {"site": site}, site=site)
    return row


def withdraw(session: Session, promo: Promotion, *, actor: Principal, now: datetime) -> None:
    """Headquarters ends the promotion everywhere at once (bookings made keep their price)."""
    if promo.status == "withdrawn":
        return
    promo.status = "withdrawn"
    for row in session.scalars(select(PromotionSite).where(PromotionSite.promotion_id == promo.id)):
        if row.state == "active":
            _close(session, promo, row, closed=True)
        row.state, row.changed_by, row.changed_at = "withdrawn", actor.username, now
    audit(session, actor, "promotion.withdraw", "promotion", promo.id, {})


def _close(session: Session, promo: Promotion, row: PromotionSite, *, closed: bool) -> None:
    plan = session.get(RatePlan, row.rate_plan_id)
    assert plan is not None
    match = (
        Restriction.rate_plan_id == plan.id,
        Restriction.stop_sell.is_(True),
        Restriction.start == promo.stay_from,
        Restriction.end == promo.stay_until,
    )
    session.execute(delete(Restriction).where(*match))
    if closed:
        session.add(
            Restriction(
                property_id=plan.property_id,
                rate_plan_id=plan.id,
                start=promo.stay_from,
                end=promo.stay_until,
                stop_sell=True,
            )
        )
    session.flush()


def sites_of(session: Session, promo: Promotion) -> list[PromotionSite]:
    return list(
        session.scalars(
            select(PromotionSite).where(PromotionSite.promotion_id == promo.id).order_by(PromotionSite.site)
        )
    )


def of_plan(session: Session, rate_plan_id: int) -> Promotion | None:
    """The promotion a rate plan sells (None for the property's own plans)."""
    return session.scalar(
        select(Promotion)
        .join(PromotionSite, PromotionSite.promotion_id == Promotion.id)
        .where(PromotionSite.rate_plan_id == rate_plan_id)
    )
