# ruff: noqa: RUF001  (the en dash of a period is meant)
"""The billing run of long stays: each period due is posted to the folio by contract (rent, the
recurring services of the period, utilities by meter reading), invoiced with the property's taxes,
and the guest gets the statement by email; an end moved earlier is prorated by a correcting line.

Idempotent: a period is billed once (a unique row per period), so the run may repeat at any time."""

from __future__ import annotations

import logging
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.billing import property_terms as terms_of_property
from cloud.billing.folio import ChargeKind, Payer
from cloud.billing.invoicing import formatted_number, issue_invoice
from cloud.billing.models import Charge, Invoice
from cloud.billing.service import ChargeRequest, balances, post_charge
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import folio_of
from cloud.catalog.models import Property
from cloud.core.errors import DomainError
from cloud.core.money import Money
from cloud.core.nights import Stay, local_today
from cloud.operations.long_stays import ending
from cloud.operations.long_stays.models import ContractBill, ContractTerms, MeterReading
from cloud.operations.long_stays.service import charges, renew, services_of
from cloud.operations.long_stays.statement import queue_statement
from cloud.reservations.groups.models import LongStayContract
from cloud.reservations.long_stays.schedule import Charge as Scheduled
from cloud.reservations.long_stays.schedule import services_in
from cloud.reservations.models import Reservation
from cloud.reservations.stays.credentials import CredentialIssuer
from mqtt.envelope import new_id

log = logging.getLogger(__name__)
GRACE_DAYS = 7  # a bill unpaid this long after its due day is in arrears
Post = Callable[[ChargeRequest], int]  # posts a line to the stay's folio, returns its gross


@dataclass(frozen=True, slots=True)
class Standing:
    """What the guest was billed, paid and owes; ``arrears``: owed on bills past their grace days."""

    billed_minor: int
    balance_minor: int
    arrears_minor: int
    currency: str


def bill_property(
    session: Session,
    prop: Property,
    *,
    billing: BillingSettings,
    now: datetime,
    issuer: CredentialIssuer | None = None,
) -> list[ContractBill]:
    """Bill every in-house long stay of the property whose period is due; returns the new bills."""
    rows = session.execute(
        select(LongStayContract, Reservation)
        .join(Reservation, Reservation.id == LongStayContract.reservation_id)
        .where(Reservation.property_id == prop.id, Reservation.status == "checked_in")
        .order_by(Reservation.arrival)
    ).all()
    made: list[ContractBill] = []
    for contract, res in rows:
        made += bill_stay(session, prop, contract, res, billing=billing, now=now, issuer=issuer)
    return made


def bill_stay(
    session: Session,
    prop: Property,
    contract: LongStayContract,
    res: Reservation,
    *,
    billing: BillingSettings,
    now: datetime,
    issuer: CredentialIssuer | None = None,
) -> list[ContractBill]:
    terms = session.get(ContractTerms, contract.id) or _plain_terms(session, contract, now=now)
    folio = folio_of(session, res.id)
    if folio is None:
        return []
    today = local_today(now, prop.timezone)
    if terms.auto_renew and terms.ends_on is None and (res.departure - today).days <= terms.notice_days:
        _renew_by_a_cycle(session, res, contract, cycle=terms.cycle, issuer=issuer, now=now)
    policy = terms_of_property.tax_policy(session, billing, prop.slug)
    existing = {
        b.period_start: b
        for b in session.scalars(select(ContractBill).where(ContractBill.contract_id == contract.id))
    }
    schedule = {c.period_start: c for c in charges(terms, contract, res)}

    def post(request: ChargeRequest) -> int:
        return sum(
            c.gross_minor
            for c in post_charge(session, folio_id=folio.id, request=request, policy=policy, now=now)
        )

    _prorate(existing, schedule, post, currency=res.currency)
    made = []
    for start, due in sorted(schedule.items()):
        if start in existing or due.due_on > today:
            continue
        bill = ContractBill(
            id=new_id(),
            contract_id=contract.id,
            period_start=due.period_start,
            period_end=due.period_end,
            due_on=due.due_on,
            rent_minor=due.amount_minor,
            utilities_minor=0,
            services_minor=0,
            gross_minor=0,
            currency=res.currency,
            created_at=now,
        )
        session.add(bill)
        session.flush()
        gross = 0
        if due.amount_minor:
            gross += post(
                ChargeRequest(
                    kind=ChargeKind.RENT,
                    description=f"{due.period_start} – {due.period_end}",
                    unit_price=Money(due.amount_minor, res.currency),
                )
            )
        gross += _services(session, contract, res, bill, terms.service_prices, post)
        gross += _utilities(session, contract, bill, terms.utility_prices, post)
        bill.gross_minor = gross
        made.append(bill)
    if _uninvoiced(session, folio.id):
        invoice = issue_invoice(
            session,
            folio_id=folio.id,
            payer=Payer.GUEST,
            series=terms_of_property.invoice_series(session, billing, prop.slug),
            now=now,
        )
        for bill in made:
            bill.invoice_id = invoice.id
        if made:
            queue_statement(
                session,
                res,
                prop,
                bill=made[-1],
                invoice_number=formatted_number(invoice),
                standing=standing(session, contract, res, now=now, site_zone=prop.timezone),
                now=now,
            )
    session.flush()
    return made


def _prorate(
    existing: dict[date, ContractBill], schedule: dict[date, Scheduled], post: Post, *, currency: str
) -> None:
    """A period billed before its end moved: notice takes the rent not used off as a correcting line,
    a renewal after notice puts back what the longer period owes."""
    for start, bill in existing.items():
        due = schedule.get(start)
        now_owed = due.amount_minor if due is not None else 0
        if bill.rent_minor != now_owed:
            post(
                ChargeRequest(
                    kind=ChargeKind.RENT,
                    description=f"{bill.period_start} – {bill.period_end}",
                    unit_price=Money(abs(bill.rent_minor - now_owed), currency),
                    discount=bill.rent_minor > now_owed,
                )
            )
            bill.rent_minor = now_owed


def _services(
    session: Session,
    contract: LongStayContract,
    res: Reservation,
    bill: ContractBill,
    prices: dict[str, int],
    post: Post,
) -> int:
    gross = 0
    stay = Stay(res.arrival, res.departure)
    for service in services_of(session, contract):
        visits = services_in(bill.period_start, bill.period_end, frozenset(service.weekdays), stay=stay)
        price = prices.get(service.kind, 0)
        if visits and price:
            gross += post(
                ChargeRequest(
                    kind=ChargeKind.SERVICES,
                    description=service.kind,
                    quantity=min(visits, 100),
                    unit_price=Money(price, bill.currency),
                )
            )
            bill.services_minor += price * visits
    return gross


def _utilities(
    session: Session, contract: LongStayContract, bill: ContractBill, prices: dict[str, int], post: Post
) -> int:
    """Each meter's use since the last billed reading (the first reading is the starting point)."""
    gross = 0
    for meter, price in sorted(prices.items()):
        readings = list(
            session.scalars(
                select(MeterReading)
                .where(MeterReading.contract_id == contract.id, MeterReading.meter == meter)
                .order_by(MeterReading.read_on)
            )
        )
        fresh = [r for r in readings if r.bill_id is None]
        if not fresh:
            continue
        billed = [r for r in readings if r.bill_id is not None]
        base = billed[-1].reading if billed else readings[0].reading
        used = fresh[-1].reading - base
        for r in fresh:
            r.bill_id = bill.id
        if used > 0 and price:
            gross += post(
                ChargeRequest(
                    kind=ChargeKind.UTILITIES,
                    description=f"{meter} {base} → {fresh[-1].reading}",
                    quantity=1,
                    unit_price=Money(price * used, bill.currency),
                )
            )
            bill.utilities_minor += price * used
    return gross


def _plain_terms(session: Session, contract: LongStayContract, *, now: datetime) -> ContractTerms:
    """A contract made with only a monthly rate and a billing day (``POST /reservations/{id}/contract``)
    is billed by them: no deposit, utilities or priced services, 30 days' notice."""
    terms = ContractTerms(
        contract_id=contract.id,
        cycle="monthly",
        rate_minor=contract.monthly_rate_minor,
        deposit_minor=0,
        notice_days=30,
        auto_renew=False,
        utility_prices={},
        service_prices={},
        created_at=now,
        created_by="system:long-stay-billing",
    )
    session.add(terms)
    session.flush()
    return terms


def _renew_by_a_cycle(
    session: Session,
    res: Reservation,
    contract: LongStayContract,
    *,
    cycle: str,
    issuer: CredentialIssuer | None,
    now: datetime,
) -> None:
    """No notice by the notice period: the contract runs on for one more cycle, if the room is free."""
    if cycle == "weekly":
        until = res.departure + timedelta(days=7)
    else:
        month = res.departure.month % 12 + 1
        year = res.departure.year + (res.departure.month == 12)
        until = res.departure.replace(
            year=year, month=month, day=min(res.departure.day, monthrange(year, month)[1])
        )
    try:
        with session.begin_nested():  # a refusal leaves nothing of the renewal behind
            renew(session, res, contract, until=until, issuer=issuer, now=now)
    except DomainError as exc:
        log.warning("long stay %s not renewed: %s", res.id, exc)
        ending.renewal_failed(session, res, until=until, reason=exc.detail, now=now)  # the desk's alert


def _uninvoiced(session: Session, folio_id: str) -> bool:
    pending = (
        select(Charge.id)
        .where(Charge.folio_id == folio_id, Charge.payer == Payer.GUEST.value, Charge.invoice_id.is_(None))
        .limit(1)
    )
    return session.scalar(pending) is not None


def standing(
    session: Session, contract: LongStayContract, res: Reservation, *, now: datetime, site_zone: str
) -> Standing:
    """Billed so far, the balance owed (charges less settled payments), and what of it is in arrears."""
    folio = folio_of(session, res.id)
    bills = list(session.scalars(select(ContractBill).where(ContractBill.contract_id == contract.id)))
    owed = balances(session, folio)[Payer.GUEST].minor if folio is not None else 0
    cutoff = local_today(now, site_zone) - timedelta(days=GRACE_DAYS)
    recent = sum(b.gross_minor for b in bills if b.due_on > cutoff)
    return Standing(
        billed_minor=sum(b.gross_minor for b in bills),
        balance_minor=owed,
        arrears_minor=max(0, owed - recent),
        currency=res.currency,
    )


def invoice_numbers(session: Session, bills: list[ContractBill]) -> dict[str, str]:
    ids = {b.invoice_id for b in bills if b.invoice_id}
    return {i.id: formatted_number(i) for i in session.scalars(select(Invoice).where(Invoice.id.in_(ids)))}
