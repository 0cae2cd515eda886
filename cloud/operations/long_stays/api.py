"""Long stays by contract under /api/v1/properties/{site}/long-stays: the contract, its bills,
payments and arrears, notice, renewal, meter readings, the billing run, parcels."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.audit import audit
from cloud.auth.deps import require_role
from cloud.auth.roles import Principal, Role
from cloud.auth.scope import SiteScopeDep
from cloud.billing.models import Payment
from cloud.billing.stay_ledger import folio_of
from cloud.core.deps import ClockDep, ServicesDep, SessionsDep
from cloud.operations.errors import UnknownThing
from cloud.operations.long_stays import billing, ending, service
from cloud.operations.long_stays.models import ContractBill, ContractTerms, DepositSettlement, Parcel
from cloud.operations.long_stays.schemas import (
    ContractBody,
    DepositBody,
    EndBody,
    HandOverBody,
    ParcelBody,
    ReadingBody,
    RenewBody,
)
from cloud.operations.requests.service import property_of
from cloud.operations.schemas import ID, SLUG
from cloud.reservations.groups.models import LongStayContract
from cloud.reservations.models import Reservation

router = APIRouter(prefix="/api/v1/properties/{site}", tags=["long stays"])
Site = Annotated[str, Path(pattern=SLUG)]
AnId = Annotated[str, Path(pattern=ID)]
Desk = Annotated[Principal, require_role(Role.FRONT_DESK, Role.MANAGER, Role.CHAIN_ADMIN)]


def _stay(session: Session, site: str, reservation_id: str) -> Reservation:
    prop = property_of(session, site)
    res = session.get(Reservation, reservation_id)
    if res is None or res.property_id != prop.id:
        raise UnknownThing(f"no reservation {reservation_id} at {site}")
    return res


def contract_json(
    session: Session, site: str, res: Reservation, contract: LongStayContract, *, now: Any
) -> dict[str, Any]:
    terms = service.terms_of(session, contract)
    prop = property_of(session, site)
    bills = service.bills_of(session, contract)
    numbers = billing.invoice_numbers(session, bills)
    folio = folio_of(session, res.id)
    payments: list[Payment] = []
    if folio is not None:
        payments = list(
            session.scalars(select(Payment).where(Payment.folio_id == folio.id).order_by(Payment.created_at))
        )
    standing = billing.standing(session, contract, res, now=now, site_zone=prop.timezone)
    return {
        "reservation_id": res.id,
        "guest_name": res.guest_name,
        "arrival": res.arrival.isoformat(),
        "departure": res.departure.isoformat(),
        "cycle": terms.cycle,
        "rate_minor": terms.rate_minor,
        "billing_day": contract.billing_day,
        "deposit_minor": terms.deposit_minor,
        "currency": res.currency,
        "notice_days": terms.notice_days,
        "auto_renew": terms.auto_renew,
        "ends_on": _iso(terms.ends_on),
        "notice_on": _iso(terms.notice_on),
        "utilities": terms.utility_prices,
        "services": [
            {"kind": s.kind, "weekdays": s.weekdays, "price_minor": terms.service_prices.get(s.kind, 0)}
            for s in service.services_of(session, contract)
        ],
        "schedule": [
            {
                "period_start": c.period_start.isoformat(),
                "period_end": c.period_end.isoformat(),
                "due_on": c.due_on.isoformat(),
                "rent_minor": c.amount_minor,
            }
            for c in service.charges(terms, contract, res)
        ],
        "bills": [bill_json(b, numbers) for b in bills],
        "payments": [
            {
                "id": p.id,
                "method": p.method,
                "direction": p.direction,
                "amount_minor": p.amount_minor,
                "status": p.status,
            }
            for p in payments
        ],
        "billed_minor": standing.billed_minor,
        "balance_minor": standing.balance_minor,
        "arrears_minor": standing.arrears_minor,
        "alerts": [
            {"id": a.id, "kind": a.kind, "about": a.about.isoformat(), "created_at": a.created_at.isoformat()}
            for a in ending.open_alerts(session, res.id)
        ],
        "deposit_held_minor": 0
        if folio is None
        else sum(left for _p, left in ending.deposits_held(session, folio.id)),
        "deposit_settlement": _settlement_json(session.get(DepositSettlement, res.id)),
    }


def _settlement_json(row: DepositSettlement | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "held_minor": row.held_minor,
        "deductions": row.deductions,
        "deducted_minor": row.deducted_minor,
        "refund_minor": row.refund_minor,
        "refunds": row.refunds,
        "settled_at": row.settled_at.isoformat(),
        "settled_by": row.settled_by,
    }


def bill_json(bill: ContractBill, numbers: dict[str, str]) -> dict[str, Any]:
    return {
        "id": bill.id,
        "period_start": bill.period_start.isoformat(),
        "period_end": bill.period_end.isoformat(),
        "due_on": bill.due_on.isoformat(),
        "rent_minor": bill.rent_minor,
        "services_minor": bill.services_minor,
        "utilities_minor": bill.utilities_minor,
        "gross_minor": bill.gross_minor,
        "invoice": numbers.get(bill.invoice_id or ""),
    }


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


@router.post("/long-stays/{reservation_id}", status_code=201)
def make_contract(
    site: Site,
    reservation_id: AnId,
    body: ContractBody,
    user: Desk,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """A booked stay of four weeks or more becomes a contract, billed per cycle instead of per night."""
    scope.check(site)
    with sessions.begin() as session:
        res = _stay(session, site, reservation_id)
        contract = service.create(
            session,
            res,
            service.ContractIn(
                cycle=body.cycle,
                rate_minor=body.rate_minor,
                billing_day=body.billing_day,
                deposit_minor=body.deposit_minor,
                notice_days=body.notice_days,
                auto_renew=body.auto_renew,
                utility_prices={str(k): v for k, v in body.utilities.items()},
                services=[(s.kind, s.weekdays, s.price_minor) for s in body.services],
            ),
            actor=user.username,
            now=clock(),
        )
        audit(
            session,
            user,
            "long_stay.contract",
            "reservation",
            res.id,
            {"cycle": body.cycle, "rate_minor": body.rate_minor, "deposit_minor": body.deposit_minor},
            site=site,
        )
        return contract_json(session, site, res, contract, now=clock())


@router.get("/long-stays/{reservation_id}")
def read_contract(
    site: Site, reservation_id: AnId, user: Desk, scope: SiteScopeDep, sessions: SessionsDep, clock: ClockDep
) -> dict[str, Any]:
    scope.check(site)
    with sessions() as session:
        _stay(session, site, reservation_id)
        res, contract = service.contract_for(session, reservation_id)
        return contract_json(session, site, res, contract, now=clock())


@router.get("/long-stays")
def list_contracts(
    site: Site, user: Desk, scope: SiteScopeDep, sessions: SessionsDep, clock: ClockDep
) -> list[dict[str, Any]]:
    scope.check(site)
    with sessions() as session:
        prop = property_of(session, site)
        rows = session.execute(
            select(LongStayContract, Reservation)
            .join(Reservation, Reservation.id == LongStayContract.reservation_id)
            .where(Reservation.property_id == prop.id, Reservation.status.in_(("booked", "checked_in")))
            .order_by(Reservation.arrival)
        ).all()
        return [
            contract_json(session, site, res, contract, now=clock())
            for contract, res in rows
            if session.get(ContractTerms, contract.id) is not None
        ]


@router.post("/long-stays/{reservation_id}/end")
def give_notice(
    site: Site,
    reservation_id: AnId,
    body: EndBody,
    user: Desk,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    clock: ClockDep,
    services: ServicesDep,
) -> dict[str, Any]:
    """End early with notice: the nights after go back on sale, the last period is prorated."""
    scope.check(site)
    with sessions.begin() as session:
        _stay(session, site, reservation_id)
        res, contract = service.contract_for(session, reservation_id, lock=True)
        service.end(session, res, contract, on=body.on, now=clock(), issuer=services.issuer)
        audit(session, user, "long_stay.end", "reservation", res.id, {"on": body.on.isoformat()}, site=site)
        return contract_json(session, site, res, contract, now=clock())


@router.post("/long-stays/{reservation_id}/renew")
def renew(
    site: Site,
    reservation_id: AnId,
    body: RenewBody,
    user: Desk,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    clock: ClockDep,
    services: ServicesDep,
) -> dict[str, Any]:
    """Extend the contract and the room's holding; a night already sold refuses it (409)."""
    scope.check(site)
    with sessions.begin() as session:
        _stay(session, site, reservation_id)
        res, contract = service.contract_for(session, reservation_id, lock=True)
        service.renew(session, res, contract, until=body.until, issuer=services.issuer, now=clock())
        audit(
            session,
            user,
            "long_stay.renew",
            "reservation",
            res.id,
            {"until": body.until.isoformat()},
            site=site,
        )
        return contract_json(session, site, res, contract, now=clock())


@router.post("/long-stays/{reservation_id}/alerts/{alert_id}/resolve")
def resolve_alert(
    site: Site,
    reservation_id: AnId,
    alert_id: AnId,
    user: Desk,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """The desk dealt with an alert of the stay (a renewal that failed): it leaves the pages."""
    scope.check(site)
    with sessions.begin() as session:
        _stay(session, site, reservation_id)
        res, contract = service.contract_for(session, reservation_id, lock=True)
        ending.resolve(session, res, alert_id, actor=user, now=clock())
        detail = {"alert": alert_id}
        audit(session, user, "long_stay.alert_resolved", "reservation", res.id, detail, site=site)
        return contract_json(session, site, res, contract, now=clock())


@router.post("/long-stays/{reservation_id}/deposit-settlement", status_code=201)
def settle_deposit(
    site: Site,
    reservation_id: AnId,
    body: DepositBody,
    user: Desk,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    clock: ClockDep,
    services: ServicesDep,
) -> dict[str, Any]:
    """At the end of the stay: deductions to the folio, the rest of the deposit refunded (once)."""
    scope.check(site)
    with sessions.begin() as session:
        _stay(session, site, reservation_id)
        res, contract = service.contract_for(session, reservation_id, lock=True)
        ending.settle_deposit(
            session,
            res,
            deductions=[(d.reason, d.amount_minor) for d in body.deductions],
            billing=services.settings.billing,
            provider=services.billing.provider,
            actor=user,
            now=clock(),
        )
        return contract_json(session, site, res, contract, now=clock())


@router.post("/long-stays/{reservation_id}/readings", status_code=201)
def add_reading(
    site: Site,
    reservation_id: AnId,
    body: ReadingBody,
    user: Desk,
    scope: SiteScopeDep,
    sessions: SessionsDep,
) -> dict[str, Any]:
    scope.check(site)
    with sessions.begin() as session:
        _stay(session, site, reservation_id)
        res, contract = service.contract_for(session, reservation_id)
        row = service.read_meter(
            session,
            contract,
            res,
            meter=body.meter,
            reading=body.reading,
            read_on=body.read_on,
            actor=user.username,
        )
        audit(
            session,
            user,
            "long_stay.reading",
            "reservation",
            res.id,
            {"meter": body.meter, "reading": body.reading},
            site=site,
        )
        return {"id": row.id, "meter": row.meter, "reading": row.reading, "read_on": row.read_on.isoformat()}


@router.post("/long-stay-billing-runs")
def bill_now(
    site: Site, user: Desk, scope: SiteScopeDep, sessions: SessionsDep, services: ServicesDep, clock: ClockDep
) -> dict[str, int]:
    """Run the billing of the property's long stays now (the worker runs it every hour; safe to repeat)."""
    scope.check(site)
    with sessions.begin() as session:
        made = billing.bill_property(
            session,
            property_of(session, site),
            billing=services.settings.billing,
            now=clock(),
            issuer=services.issuer,
        )
        for bill in made:
            audit(
                session,
                user,
                "long_stay.bill",
                "long_stay_bill",
                bill.id,
                {"gross_minor": bill.gross_minor},
                site=site,
            )
        return {"billed": len(made)}


def parcel_json(row: Parcel) -> dict[str, Any]:
    return {
        "id": row.id,
        "reservation_id": row.reservation_id,
        "carrier": row.carrier,
        "description": row.description,
        "received_at": row.received_at.isoformat(),
        "handed_at": _iso(row.handed_at),
        "signed_by": row.signed_by,
    }


@router.post("/parcels", status_code=201)
def log_parcel(
    site: Site, body: ParcelBody, user: Desk, scope: SiteScopeDep, sessions: SessionsDep, clock: ClockDep
) -> dict[str, Any]:
    scope.check(site)
    with sessions.begin() as session:
        res = _stay(session, site, body.reservation_id)
        row = service.log_parcel(
            session, res, carrier=body.carrier, description=body.description, actor=user.username, now=clock()
        )
        audit(session, user, "parcel.received", "parcel", row.id, {"reservation": res.id}, site=site)
        return parcel_json(row)


@router.get("/parcels")
def parcels(
    site: Site, user: Desk, scope: SiteScopeDep, sessions: SessionsDep, reservation_id: str | None = None
) -> list[dict[str, Any]]:
    scope.check(site)
    with sessions() as session:
        prop = property_of(session, site)
        query = (
            select(Parcel)
            .join(Reservation, Reservation.id == Parcel.reservation_id)
            .where(Reservation.property_id == prop.id)
        )
        if reservation_id:
            query = query.where(Parcel.reservation_id == reservation_id)
        return [parcel_json(p) for p in session.scalars(query.order_by(Parcel.received_at))]


@router.post("/parcels/{parcel_id}/hand-over")
def hand_over(
    site: Site,
    parcel_id: AnId,
    body: HandOverBody,
    user: Desk,
    scope: SiteScopeDep,
    sessions: SessionsDep,
    clock: ClockDep,
) -> dict[str, Any]:
    """Hand the parcel over against the collector's name and drawn signature, once."""
    scope.check(site)
    with sessions.begin() as session:
        row = session.get(Parcel, parcel_id)
        if row is None:
            raise UnknownThing(f"no parcel {parcel_id}")
        _stay(session, site, row.reservation_id)
        service.hand_over(
            session,
            row,
            signed_by=body.signed_by,
            signature_svg=body.signature_svg,
            actor=user.username,
            now=clock(),
        )
        audit(
            session,
            user,
            "parcel.handed_over",
            "parcel",
            row.id,
            {"reservation": row.reservation_id},
            site=site,
        )
        return parcel_json(row)
