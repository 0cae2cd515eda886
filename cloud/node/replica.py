"""The replica a node keeps: the property's rooms and rates, the stays the desk may meet from
today on (booked arrivals and guests in house, their guests sealed for the node), their open
folios' balances and the cards issued for them. ``snapshot`` makes the whole picture;
``cloud/node/replica_feed.py`` numbers the pictures and sends only what changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.auth.settings import AuthSettings
from cloud.billing import property_terms as terms
from cloud.billing.folio import Payer
from cloud.billing.models import Folio, NodeSeries
from cloud.billing.service import balances
from cloud.billing.settings import BillingSettings
from cloud.billing.tax import TaxPolicy
from cloud.catalog.models import (
    Floor,
    Property,
    RatePlan,
    RatePrice,
    Restriction,
    Room,
    RoomType,
    weekdays_set,
)
from cloud.catalog.pricing import PriceRule, night_rule
from cloud.core.nights import local_today
from cloud.node.seal import GuestData, LinkCipher, guest_context
from cloud.node.staff import desk_access
from cloud.reservations.groups.models import LongStayContract
from cloud.reservations.models import HOLDING, Reservation, ReservationNight, RoomAllocation, StayCredential
from mqtt.node_messages import (
    NodeReplica,
    ReplicaCard,
    ReplicaFolio,
    ReplicaPlan,
    ReplicaPrice,
    ReplicaPricing,
    ReplicaRate,
    ReplicaRestriction,
    ReplicaRoom,
    ReplicaStay,
    ReplicaTax,
)

DAYS = 7


def snapshot(
    session: Session,
    *,
    site: str,
    node: str,
    now: datetime,
    days: int = DAYS,
    sealer: LinkCipher | None = None,
    seal_key: str = "",
    billing: BillingSettings | None = None,
    auth: AuthSettings | None = None,
) -> NodeReplica:
    """From today in the property's zone, for ``days`` nights. Guests are sealed with
    ``sealer`` (the link to this node); without one the replica carries none. ``billing``: the
    settings whose taxes a property without its own applies (their defaults if not given);
    ``auth``: the session and sign-in rules the node's desk follows (likewise)."""
    prop = session.scalar(select(Property).where(Property.slug == site))
    if prop is None:
        raise LookupError(f"no property {site!r}")
    today = local_today(now, prop.timezone)
    codes = {t.id: t.code for t in session.scalars(select(RoomType).where(RoomType.property_id == prop.id))}
    rooms = list(session.scalars(select(Room).where(Room.property_id == prop.id).order_by(Room.number)))
    slugs = {room.id: room.slug for room in rooms}
    holding = list(
        session.scalars(
            select(Reservation)
            .where(
                Reservation.property_id == prop.id,
                Reservation.status.in_(HOLDING),
                Reservation.arrival < today + timedelta(days=days),
                Reservation.departure > today,
            )
            .order_by(Reservation.arrival, Reservation.id)
        )
    )
    context = _Stays(site=site, node=node, codes=codes, slugs=slugs, today=today, sealer=sealer)
    series = session.scalar(select(NodeSeries.series).where(NodeSeries.site == site, NodeSeries.node == node))
    return NodeReplica(
        as_of=now,
        first_night=today,
        days=days,
        invoice_series=series or "",
        seal_key=seal_key,
        rooms=_rooms(session, prop, rooms, codes=codes),
        rates=_rates(session, prop, codes=codes, night=today),
        pricing=pricing(
            session, prop, codes=codes, taxes=terms.tax_policy(session, billing or BillingSettings(), site)
        ),
        access=desk_access(session, site=site, node=node, sealer=sealer, settings=auth or AuthSettings()),
        stays=context.stays(session, holding),
        folios=_folios(session, [r.id for r in holding]),
        cards=_cards(session, [r.id for r in holding], slugs=slugs, now=now),
    )


class _Stays:
    def __init__(
        self,
        *,
        site: str,
        node: str,
        codes: dict[int, str],
        slugs: dict[int, str],
        today: date,
        sealer: LinkCipher | None,
    ) -> None:
        self.site, self.node, self.codes, self.slugs, self.today = site, node, codes, slugs, today
        self.sealer = sealer

    def stays(self, session: Session, holding: list[Reservation]) -> list[ReplicaStay]:
        """Each stay with its room tonight (or on arrival) and its first night's rate: two
        queries for all of them."""
        ids = [res.id for res in holding]
        allocations: dict[str, list[tuple[date, date, int]]] = {}
        for res_id, start, end, room_id in session.execute(
            select(
                RoomAllocation.reservation_id,
                RoomAllocation.start_night,
                RoomAllocation.end_night,
                RoomAllocation.room_id,
            ).where(RoomAllocation.reservation_id.in_(ids))
        ):
            allocations.setdefault(res_id or "", []).append((start, end, room_id))
        nights: dict[str, list[int]] = {}
        for res_id, _night, amount in session.execute(
            select(ReservationNight.reservation_id, ReservationNight.night, ReservationNight.amount_minor)
            .where(ReservationNight.reservation_id.in_(ids))
            .order_by(ReservationNight.reservation_id, ReservationNight.night)
        ):
            nights.setdefault(res_id, []).append(amount)
        contracts, company = _billed_elsewhere(session, ids)
        return [
            self.stay(
                res,
                allocations=allocations.get(res.id, []),
                nights=nights.get(res.id, []),
                posted=res.id not in contracts,
                company_kinds=company.get(res.id, []),
            )
            for res in holding
        ]

    def stay(
        self,
        res: Reservation,
        *,
        allocations: list[tuple[date, date, int]],
        nights: list[int],
        posted: bool,
        company_kinds: list[str],
    ) -> ReplicaStay:
        night = max(self.today, res.arrival)
        room_id = next((room for start, end, room in allocations if start <= night < end), None)
        whole = len(nights) == (res.departure - res.arrival).days
        return ReplicaStay(
            reservation_id=res.id,
            status=res.status,  # type: ignore[arg-type]
            room_type=self.codes[res.room_type_id],
            room=self.slugs.get(room_id or 0, ""),
            arrival=res.arrival,
            departure=res.departure,
            rate_minor=nights[0] if nights else None,
            currency=res.currency,
            guest_sealed=self._sealed(res),
            nights_minor=nights if whole else [],
            nights_posted=posted,
            company_kinds=company_kinds,
        )

    def _sealed(self, res: Reservation) -> str:
        if self.sealer is None:
            return ""
        guest = GuestData(name=res.guest_name, email=res.guest_email or "", phone=res.guest_phone or "")
        context = guest_context(self.site, self.node, res.id)
        return self.sealer.seal(guest.to_json(), context=context, stable=True)


def _billed_elsewhere(session: Session, ids: list[str]) -> tuple[set[str], dict[str, list[str]]]:
    """The stays a long-stay contract bills period by period (check-in posts no nights), and
    per stay the charge kinds a company's master folio takes (as ``FolioLedger`` routes them)."""
    contracts = set(
        session.scalars(
            select(LongStayContract.reservation_id).where(LongStayContract.reservation_id.in_(ids))
        )
    )
    routed = session.scalars(
        select(Folio).where(
            Folio.reservation_id.in_(ids), Folio.kind == "stay", Folio.master_folio_id.is_not(None)
        )
    )
    company = {}
    for folio in routed:
        master = session.get(Folio, folio.master_folio_id)
        if folio.routed_kinds and master is not None and master.company_name is not None:
            company[folio.reservation_id or ""] = sorted(folio.routed_kinds)
    return {r for r in contracts if r}, company


def pricing(session: Session, prop: Property, *, codes: dict[int, str], taxes: TaxPolicy) -> ReplicaPricing:
    """The property's plans (in the cloud's order), price rules and restrictions as the cloud's
    ``price`` reads them, and ``taxes`` (the folio's, from ``property_terms.tax_policy``)."""
    plans = list(
        session.scalars(select(RatePlan).where(RatePlan.property_id == prop.id).order_by(RatePlan.id))
    )
    plan_codes = {p.id: p.code for p in plans}
    prices = [
        ReplicaPrice(
            rate_plan=plan_codes[p.rate_plan_id],
            room_type=codes[p.room_type_id],
            amount_minor=p.amount_minor,
            season_start=p.season_start,
            season_end=p.season_end,
            weekdays=sorted(weekdays_set(p.weekdays) or ()) if p.weekdays is not None else None,
            min_stay=p.min_stay,
        )
        for p in session.scalars(
            select(RatePrice).where(RatePrice.rate_plan_id.in_(plan_codes)).order_by(RatePrice.id)
        )
        if p.room_type_id in codes
    ]
    restrictions = [
        ReplicaRestriction(
            start=r.start,
            end=r.end,
            rate_plan=plan_codes.get(r.rate_plan_id) if r.rate_plan_id is not None else None,
            room_type=codes.get(r.room_type_id) if r.room_type_id is not None else None,
            min_stay=r.min_stay,
            max_stay=r.max_stay,
            closed_to_arrival=r.closed_to_arrival,
            closed_to_departure=r.closed_to_departure,
            stop_sell=r.stop_sell,
        )
        for r in session.scalars(
            select(Restriction).where(Restriction.property_id == prop.id).order_by(Restriction.id)
        )
    ]
    return ReplicaPricing(
        prices_include_tax=taxes.inclusive,
        plans=[ReplicaPlan(rate_plan=p.code, name=p.name, min_stay=p.min_stay) for p in plans],
        prices=prices,
        restrictions=restrictions,
        taxes=_taxes(taxes),
    )


def _taxes(policy: TaxPolicy) -> list[ReplicaTax]:
    return [ReplicaTax(code=r.code, ppm=r.ppm, kinds=sorted(r.applies_to)) for r in policy.rates]


def _rooms(
    session: Session, prop: Property, rooms: list[Room], *, codes: dict[int, str]
) -> list[ReplicaRoom]:
    floors = select(Floor.id, Floor.level).where(Floor.property_id == prop.id)
    levels: dict[int, int] = {floor_id: level for floor_id, level in session.execute(floors)}
    ids = [r.id for r in rooms]
    sequences: dict[int, int] = {
        room_id: sequence
        for room_id, sequence in session.execute(
            select(StayCredential.room_id, func.max(StayCredential.sequence))
            .where(StayCredential.room_id.in_(ids))
            .group_by(StayCredential.room_id)
        )
    }
    found = [
        ReplicaRoom(
            room=r.slug,
            room_type=codes[r.room_type_id],
            number=r.number,
            floor=levels.get(r.floor_id, 0),
            sequence=sequences.get(r.id) or 0,
        )
        for r in rooms
    ]
    return sorted(found, key=lambda r: r.room)  # as a delta's merge keeps them


def _rates(session: Session, prop: Property, *, codes: dict[int, str], night: date) -> list[ReplicaRate]:
    plans = {p.id: p.code for p in session.scalars(select(RatePlan).where(RatePlan.property_id == prop.id))}
    rules: dict[tuple[str, str], list[PriceRule]] = {}
    for price in session.scalars(select(RatePrice).where(RatePrice.rate_plan_id.in_(plans))):
        if price.room_type_id not in codes:
            continue
        rules.setdefault((plans[price.rate_plan_id], codes[price.room_type_id]), []).append(
            PriceRule(
                amount_minor=price.amount_minor,
                season_start=price.season_start,
                season_end=price.season_end,
                weekdays=weekdays_set(price.weekdays),
                min_stay=price.min_stay,
            )
        )
    rates = []
    for (plan, room_type), found in sorted(rules.items()):
        rule = night_rule(found, night)
        if rule is not None:
            rates.append(
                ReplicaRate(
                    rate_plan=plan,
                    room_type=room_type,
                    amount_minor=rule.amount_minor,
                    currency=prop.currency,
                )
            )
    return rates


def _folios(session: Session, reservations: Iterable[str]) -> list[ReplicaFolio]:
    ids = list(reservations)
    folios = session.scalars(
        select(Folio).where(Folio.reservation_id.in_(ids), Folio.kind == "stay", Folio.status == "open")
    )
    found = [
        ReplicaFolio(
            reservation_id=folio.reservation_id or "",
            balance_minor=balances(session, folio)[Payer.GUEST].minor,
            currency=folio.currency,
        )
        for folio in folios
    ]
    return sorted(found, key=lambda f: f.reservation_id)


def _cards(
    session: Session, reservations: Iterable[str], *, slugs: dict[int, str], now: datetime
) -> list[ReplicaCard]:
    ids = list(reservations)
    cards = session.scalars(
        select(StayCredential).where(
            StayCredential.reservation_id.in_(ids),
            StayCredential.revoked_at.is_(None),
            StayCredential.valid_until > now,
        )
    )
    found = [
        ReplicaCard(
            credential_id=c.id,
            reservation_id=c.reservation_id,
            room=slugs[c.room_id],
            valid_until=c.valid_until,
        )
        for c in cards
        if c.room_id in slugs
    ]
    return sorted(found, key=lambda c: c.credential_id)
