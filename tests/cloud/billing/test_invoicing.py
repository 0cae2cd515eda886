from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from cloud.billing.errors import BillingConflict
from cloud.billing.folio import ChargeKind, Payer
from cloud.billing.invoicing import issue_credit_note, issue_invoice
from cloud.billing.models import Charge, Invoice
from cloud.billing.service import ChargeRequest, FolioSpec, GuestInfo, open_folio, post_charge
from cloud.billing.tax import TaxPolicy, TaxRate
from cloud.core.db import make_sessionmaker
from cloud.core.money import Money

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
POLICY = TaxPolicy(inclusive=False, rates=(TaxRate.percent("IVA", "16"),))


def _folio_with_night(engine: Engine, *, company: bool = False) -> str:
    with make_sessionmaker(engine).begin() as session:
        folio = open_folio(session, FolioSpec(
            site="centro", currency="MXN", guest=GuestInfo("Ana López", "es"),
            company_name="ACME SA" if company else None,
        ), now=NOW)
        post_charge(session, folio_id=folio.id, request=ChargeRequest(
            ChargeKind.ROOM_NIGHT, "Noche", Money(150000, "MXN"),
            company_ppm=500_000 if company else None), policy=POLICY, now=NOW)
        return folio.id


def _checkout(engine: Engine, folio_id: str) -> int:
    with make_sessionmaker(engine).begin() as session:
        return issue_invoice(session, folio_id=folio_id, payer=Payer.GUEST,
                             series="INV", now=NOW).number


@pytest.mark.slow
def test_fifty_concurrent_checkouts_get_numbers_without_gaps_or_duplicates(
    engine: Engine,
) -> None:
    folios = [_folio_with_night(engine) for _ in range(50)]
    with ThreadPoolExecutor(max_workers=50) as pool:
        numbers = list(pool.map(lambda f: _checkout(engine, f), folios))
    assert sorted(numbers) == list(range(1, 51))
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT number FROM billing_invoices ORDER BY number"))
        assert [row[0] for row in stored] == list(range(1, 51))


def test_a_rolled_back_invoice_gives_its_number_back(engine: Engine) -> None:
    first, second = _folio_with_night(engine), _folio_with_night(engine)
    with pytest.raises(RuntimeError), make_sessionmaker(engine).begin() as session:
        issue_invoice(session, folio_id=first, payer=Payer.GUEST, series="INV", now=NOW)
        raise RuntimeError("crash before commit")
    assert _checkout(engine, second) == 1
    assert _checkout(engine, first) == 2


def test_issued_invoice_cannot_be_updated_or_deleted_in_the_database(engine: Engine) -> None:
    _checkout(engine, _folio_with_night(engine))
    for statement in ("UPDATE billing_invoices SET total_minor = 1",
                      "DELETE FROM billing_invoices"):
        with pytest.raises(DBAPIError, match="immutable"), engine.begin() as conn:
            conn.execute(text(statement))


def test_credit_note_reverses_the_invoice_and_frees_its_charges(engine: Engine) -> None:
    folio_id = _folio_with_night(engine)
    with make_sessionmaker(engine).begin() as session:
        invoice = issue_invoice(session, folio_id=folio_id, payer=Payer.GUEST,
                                series="INV", now=NOW)
        note = issue_credit_note(session, invoice_id=invoice.id, series="CN", now=NOW)
        assert (note.kind, note.number, note.corrects_id) == ("credit_note", 1, invoice.id)
        assert note.total_minor == -invoice.total_minor == -174000
        assert session.scalars(select(Charge.invoice_id)).all() == [None]
        with pytest.raises(BillingConflict):
            issue_credit_note(session, invoice_id=invoice.id, series="CN", now=NOW)
    assert _checkout(engine, folio_id) == 2


def test_company_share_is_invoiced_to_the_company_apart(engine: Engine) -> None:
    folio_id = _folio_with_night(engine, company=True)
    with make_sessionmaker(engine).begin() as session:
        guest = issue_invoice(session, folio_id=folio_id, payer=Payer.GUEST, series="INV",
                              now=NOW)
        company = issue_invoice(session, folio_id=folio_id, payer=Payer.COMPANY, series="INV",
                                now=NOW)
        assert company.bill_to["name"] == "ACME SA"
        assert guest.total_minor + company.total_minor == 174000
        with pytest.raises(BillingConflict, match="nothing to invoice"):
            issue_invoice(session, folio_id=folio_id, payer=Payer.GUEST, series="INV", now=NOW)
        assert session.scalar(select(Invoice.number).where(Invoice.id == company.id)) == 2


def test_posted_charges_change_only_by_being_invoiced(engine: Engine) -> None:
    _folio_with_night(engine)
    for statement in ("UPDATE billing_charges SET gross_minor = 1, net_minor = 1, tax_minor = 0",
                      "DELETE FROM billing_charges"):
        with pytest.raises(DBAPIError, match="immutable"), engine.begin() as conn:
            conn.execute(text(statement))


def test_settled_payments_cannot_be_edited_or_deleted(engine: Engine) -> None:
    folio_id = _folio_with_night(engine)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO billing_payments (id, folio_id, payer, direction, method, stage, "
            "amount_minor, currency, status, created_at) VALUES ('p1', :f, 'guest', 'payment', "
            "'cash', 'stay', 100, 'MXN', 'succeeded', CURRENT_TIMESTAMP)"), {"f": folio_id})
    for statement in ("UPDATE billing_payments SET amount_minor = 1",
                      "UPDATE billing_payments SET status = 'failed'",
                      "DELETE FROM billing_payments"):
        with pytest.raises(DBAPIError, match="immutable"), engine.begin() as conn:
            conn.execute(text(statement))


@pytest.mark.slow
def test_billing_migrations_go_down_and_up_again(sqlite_only: Engine) -> None:
    from alembic import command

    from cloud.core.migrate import alembic_config, upgrade

    command.downgrade(alembic_config(sqlite_only), "billing@base")
    with sqlite_only.connect() as conn:
        names = {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master"))}
    assert not any(n.startswith(("billing_", "notify_")) for n in names)
    upgrade(sqlite_only)
    _checkout(sqlite_only, _folio_with_night(sqlite_only))


def test_provider_events_settle_or_fail_pending_payments_only(engine: Engine) -> None:
    from cloud.billing.folio import PaymentMethod, PaymentStage
    from cloud.billing.payments import PaymentRequest, apply_provider_event, record_payment
    from cloud.payments.provider import ProviderPayment
    from cloud.payments.simulated import SimulatedCardProvider

    folio_id = _folio_with_night(engine)
    request = PaymentRequest(Money(1000, "MXN"), PaymentMethod.CARD, PaymentStage.DEPOSIT)
    with make_sessionmaker(engine).begin() as session:
        for ref in ("pi_ok", "pi_bad", "pi_short"):
            record_payment(session, folio_id=folio_id, request=request,
                           provider=SimulatedCardProvider(),
                           started=ProviderPayment(ref, "pending"), now=NOW)

    def event(kind: str, ref: str, received: int = 1000) -> dict[str, object]:
        return {"type": kind, "data": {"object": {"id": ref, "amount": 1000,
                                                  "amount_received": received}}}

    with make_sessionmaker(engine).begin() as session:
        assert apply_provider_event(session, event=event("payment_intent.succeeded", "pi_ok"),
                                    now=NOW)
        assert apply_provider_event(session, event=event("payment_intent.payment_failed",
                                                         "pi_bad"), now=NOW)
        assert not apply_provider_event(session, event=event(
            "payment_intent.succeeded", "pi_short", received=999), now=NOW)
        assert not apply_provider_event(session, event=event("payment_intent.payment_failed",
                                                             "pi_ok"), now=NOW)
        assert not apply_provider_event(session, event=event("customer.created", "pi_ok"),
                                        now=NOW)
    with make_sessionmaker(engine)() as session:
        from cloud.billing.models import Payment

        statuses = dict(session.execute(select(Payment.provider_ref, Payment.status)).all())
    assert statuses == {"pi_ok": "succeeded", "pi_bad": "failed", "pi_short": "pending"}
