"""REST API of chain promotions: headquarters defines, pushes, withdraws and issues codes; each
property sees what was pushed to it and declines or takes it back; chains set their earning rules."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.accounts import chain_of, visible_sites
from cloud.auth.audit import audit
from cloud.auth.deps import CurrentUser, StaffAdmin, check_property, require_role
from cloud.auth.roles import Principal, Role
from cloud.core.deps import DbSession, request_time, services
from cloud.loyalty import chain_rules
from cloud.loyalty.errors import InvalidLoyalty, PromotionConflict, PromotionNotFound
from cloud.loyalty.promotions import codes, service
from cloud.loyalty.promotions.models import Promotion, PromotionSite
from cloud.loyalty.promotions.schemas import (
    SLUG,
    ChainRulesIn,
    ChainRulesOut,
    CodesIn,
    CodesOut,
    PromotionIn,
    PromotionOut,
    SiteOut,
    SitesIn,
    SiteStateIn,
)
from cloud.loyalty.promotions.terms import plan_code
from mqtt.envelope import new_id

router = APIRouter(prefix="/api/v1/loyalty", tags=["loyalty promotions"])
ChainAdmin = Annotated[Principal, require_role(Role.CHAIN_ADMIN)]
Id = Annotated[str, Path(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")]
Site = Annotated[str, Path(pattern=SLUG)]
Chain = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9:-]{0,62}$")]


def out(session: Session, promo: Promotion, *, sites: list[str] | None = None) -> PromotionOut:
    rows = [r for r in service.sites_of(session, promo) if sites is None or r.site in sites]
    return PromotionOut(
        id=promo.id,
        chain=promo.chain,
        code=promo.code,
        kind=promo.kind,
        names=promo.names,
        base_plan=promo.base_plan,
        room_types=promo.room_types,
        price_rule=promo.price_rule,
        price_value=promo.price_value,
        stay_from=promo.stay_from,
        stay_until=promo.stay_until,
        weekdays=promo.weekdays,
        min_nights=promo.min_nights,
        extras=[{k: str(v) for k, v in e.items()} for e in promo.extras],
        code_only=promo.code_only,
        opt_out=promo.opt_out,
        multiplier_pct=promo.multiplier_pct,
        bonus_points=promo.bonus_points,
        status=promo.status,
        created_at=promo.created_at,
        sites=[
            SiteOut(site=r.site, state=r.state, rate_plan=plan_code(promo.code), priced_at=r.priced_at)
            for r in rows
        ],
    )


def visible(session: Session, user: Principal, promotion_id: str) -> tuple[Promotion, list[str] | None]:
    """The promotion if the user's chain made it and (staff of a property) it was pushed to them."""
    promo = service.load(session, promotion_id, chain=user.chain)
    if user.role is Role.CHAIN_ADMIN:
        return promo, None
    if user.site is None or session.get(PromotionSite, (promo.id, user.site)) is None:
        raise PromotionNotFound(f"no promotion {promotion_id!r}")
    return promo, [user.site]


@router.post("/promotions", response_model=PromotionOut, status_code=201)
def create(request: Request, db: DbSession, user: ChainAdmin, body: PromotionIn) -> PromotionOut:
    """Define a promotion once for the chain; ``sites`` pushes it to those properties at once."""
    now = request_time(request)
    if db.scalar(select(Promotion.id).where(Promotion.chain == user.chain, Promotion.code == body.code)):
        raise PromotionConflict(f"the chain has a promotion {body.code!r} already")
    names = {k: v for k, v in body.names.model_dump().items() if v}
    promo = Promotion(
        id=new_id(),
        chain=user.chain,
        code=body.code,
        kind=body.kind,
        names=names,
        base_plan=body.base_plan,
        room_types=list(body.room_types),
        price_rule=body.price_rule,
        price_value=body.price_value,
        stay_from=body.stay_from,
        stay_until=body.stay_until,
        weekdays=body.weekdays,
        min_nights=body.min_nights,
        extras=[e.model_dump() for e in body.extras],
        code_only=body.code_only,
        opt_out=body.opt_out,
        multiplier_pct=body.multiplier_pct,
        bonus_points=body.bonus_points,
        status="active",
        created_by=user.username,
        created_at=now,
    )
    db.add(promo)
    db.flush()
    audit(db, user, "promotion.create", "promotion", promo.id, {"code": promo.code, "kind": promo.kind})
    for site in body.sites:
        _push(db, user, promo, site, now=now)
    return out(db, promo)


def _push(db: Session, user: Principal, promo: Promotion, site: str, *, now: datetime) -> None:
    if chain_of(db, site) != user.chain:
        raise InvalidLoyalty(f"property {site!r} is not in your chain")
    service.push(db, promo, site=site, actor=user, now=now)


@router.get("/promotions", response_model=list[PromotionOut])
def list_promotions(db: DbSession, user: CurrentUser) -> list[PromotionOut]:
    """The chain's promotions (headquarters), or those pushed to the user's property."""
    if user.role is Role.CHAIN_ADMIN:
        rows = db.scalars(
            select(Promotion).where(Promotion.chain == user.chain).order_by(Promotion.stay_from)
        )
        return [out(db, p) for p in rows]
    sites = visible_sites(db, user)
    rows = db.scalars(
        select(Promotion)
        .join(PromotionSite, PromotionSite.promotion_id == Promotion.id)
        .where(Promotion.chain == user.chain, PromotionSite.site.in_(sites))
        .order_by(Promotion.stay_from)
    )
    return [out(db, p, sites=sites) for p in rows]


@router.get("/promotions/{promotion_id}", response_model=PromotionOut)
def get_promotion(db: DbSession, user: CurrentUser, promotion_id: Id) -> PromotionOut:
    promo, sites = visible(db, user, promotion_id)
    return out(db, promo, sites=sites)


@router.post("/promotions/{promotion_id}/push", response_model=PromotionOut)
def push(request: Request, db: DbSession, user: ChainAdmin, promotion_id: Id, body: SitesIn) -> PromotionOut:
    promo = service.load(db, promotion_id, chain=user.chain)
    for site in body.sites:
        _push(db, user, promo, site, now=request_time(request))
    return out(db, promo)


@router.put("/promotions/{promotion_id}/sites/{site}", response_model=PromotionOut)
def set_site_state(
    request: Request, db: DbSession, user: StaffAdmin, promotion_id: Id, site: Site, body: SiteStateIn
) -> PromotionOut:
    """A property's manager declines the promotion (where the chain allows) or takes it back."""
    check_property(db, user, site)
    promo, sites = visible(db, user, promotion_id)
    service.set_state(db, promo, site=site, state=body.state, actor=user, now=request_time(request))
    return out(db, promo, sites=sites)


@router.post("/promotions/{promotion_id}/sites/{site}/reprice", response_model=PromotionOut)
def reprice(request: Request, db: DbSession, user: StaffAdmin, promotion_id: Id, site: Site) -> PromotionOut:
    """Derive the promotion's prices at the property again from its base plan's current prices."""
    check_property(db, user, site)
    promo, sites = visible(db, user, promotion_id)
    service.reprice(db, promo, site=site, actor=user, now=request_time(request))
    return out(db, promo, sites=sites)


@router.post("/promotions/{promotion_id}/withdraw", response_model=PromotionOut)
def withdraw(request: Request, db: DbSession, user: ChainAdmin, promotion_id: Id) -> PromotionOut:
    promo = service.load(db, promotion_id, chain=user.chain)
    service.withdraw(db, promo, actor=user, now=request_time(request))
    return out(db, promo)


@router.post("/promotions/{promotion_id}/codes", response_model=CodesOut, status_code=201)
def issue_codes(
    request: Request, db: DbSession, user: ChainAdmin, promotion_id: Id, body: CodesIn
) -> CodesOut:
    """Offer codes for the booking engine: random ones, or one code of your own (shared)."""
    promo = service.load(db, promotion_id, chain=user.chain)
    if body.valid_until < request_time(request).date():
        raise InvalidLoyalty("valid_until is in the past")
    texts = codes.issue(
        db,
        promo,
        secret=services(request).settings.secret_key,
        count=body.count,
        max_uses=body.max_uses,
        valid_until=body.valid_until,
        actor=user,
        now=request_time(request),
        code=body.code,
    )
    return CodesOut(promotion_id=promo.id, codes=texts, max_uses=body.max_uses, valid_until=body.valid_until)


def _rules_out(db: Session, chain: str) -> ChainRulesOut:
    rules = chain_rules.for_chain(db, chain)
    return ChainRulesOut(
        chain=chain,
        per_night=rules.per_night,
        per_currency_unit=rules.per_currency_unit,
        per_survey=rules.per_survey,
        lot_months=rules.lot_months,
        point_value_minor=rules.point_value_minor,
    )


@router.get("/chains/{chain}/rules", response_model=ChainRulesOut)
def read_rules(db: DbSession, user: StaffAdmin, chain: Chain) -> ChainRulesOut:
    if chain != user.chain:
        raise PromotionNotFound(f"no chain {chain!r}")
    return _rules_out(db, chain)


@router.put("/chains/{chain}/rules", response_model=ChainRulesOut)
def write_rules(
    request: Request, db: DbSession, user: ChainAdmin, chain: Chain, body: ChainRulesIn
) -> ChainRulesOut:
    """The chain's earning rules from now on (fields left out: the programme's)."""
    if chain != user.chain:
        raise PromotionNotFound(f"no chain {chain!r}")
    chain_rules.write(db, chain, body.model_dump(), actor=user, now=request_time(request))
    return _rules_out(db, chain)
