"""Random sequences of folio operations against a real database keep the books consistent."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select

from cloud.billing.errors import BillingConflict, InvalidAmount
from cloud.billing.folio import ChargeKind, Payer, PaymentMethod, PaymentStage
from cloud.billing.invoicing import issue_credit_note, issue_invoice
from cloud.billing.models import Charge, Invoice, Payment
from cloud.billing.payments import PaymentRequest, record_payment, refund_payment
from cloud.billing.service import (
    ChargeRequest,
    FolioSpec,
    GuestInfo,
    balances,
    get_folio,
    open_folio,
    post_charge,
)
from cloud.billing.tax import TaxPolicy, TaxRate
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.core.money import Money
from cloud.payments.simulated import SimulatedCardProvider

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane

NOW = datetime(2026, 11, 25, tzinfo=UTC)
POLICIES = [TaxPolicy(inclusive=False, rates=(TaxRate.percent("IVA", "16"),
                                               TaxRate.percent("ISH", "3", ["room_night"]))),
            TaxPolicy(inclusive=True, rates=(TaxRate.percent("VAT", "21"),))]


_TEMPLATE: list[Path] = []


def _database(directory: Path) -> Path:
    """A copy of one migrated file (migrating for every example would dominate the run)."""
    if not _TEMPLATE:
        path = Path(tempfile.mkdtemp(prefix="posada-machine-")) / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        _TEMPLATE.append(path)
        atexit.register(shutil.rmtree, path.parent, True)
    shutil.copy(_TEMPLATE[0], directory / "m.db")
    return directory / "m.db"


class FolioMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.engine = make_engine(f"sqlite:///{_database(Path(self.dir.name))}")
        self.sessions = make_sessionmaker(self.engine)
        self.policy = POLICIES[0]
        with self.sessions.begin() as session:
            self.folio = open_folio(session, FolioSpec(
                site="s", currency="MXN", guest=GuestInfo("G"), company_name="ACME"),
                now=NOW).id
        self.payments: list[str] = []
        self.paid = {Payer.GUEST: 0, Payer.COMPANY: 0}

    def teardown(self) -> None:
        self.engine.dispose()
        self.dir.cleanup()

    @rule(kind=st.sampled_from(list(ChargeKind)), unit=st.integers(1, 10**6),
          qty=st.integers(1, 5), discount=st.booleans(),
          split=st.none() | st.integers(1, 999_999), inclusive=st.booleans())
    def charge(self, kind: ChargeKind, unit: int, qty: int, discount: bool, split: int | None,
               inclusive: bool) -> None:
        with self.sessions.begin() as session:
            post_charge(session, folio_id=self.folio, request=ChargeRequest(
                kind, "", Money(unit, "MXN"), quantity=qty, discount=discount,
                company_ppm=split), policy=POLICIES[int(inclusive)], now=NOW)

    @rule(payer=st.sampled_from(list(Payer)), amount=st.integers(1, 10**6))
    def pay(self, payer: Payer, amount: int) -> None:
        request = PaymentRequest(Money(amount, "MXN"), PaymentMethod.CASH, PaymentStage.STAY,
                                 payer=payer)
        with self.sessions.begin() as session:
            payment = record_payment(session, folio_id=self.folio, request=request,
                                     provider=SimulatedCardProvider(), started=None, now=NOW)
            self.payments.append(payment.id)
        self.paid[payer] += amount

    @rule(index=st.integers(0, 50), amount=st.integers(1, 10**6))
    def refund(self, index: int, amount: int) -> None:
        if not self.payments:
            return
        payment_id = self.payments[index % len(self.payments)]
        try:
            with self.sessions.begin() as session:
                refund = refund_payment(session, payment_id=payment_id, amount=Money(
                    amount, "MXN"), provider=SimulatedCardProvider(), idempotency_key="k",
                    now=NOW)
                self.paid[Payer(refund.payer)] -= amount
        except (BillingConflict, InvalidAmount):
            pass

    @rule(payer=st.sampled_from(list(Payer)))
    def invoice(self, payer: Payer) -> None:
        try:
            with self.sessions.begin() as session:
                issue_invoice(session, folio_id=self.folio, payer=payer, series="INV", now=NOW)
        except BillingConflict:
            pass

    @rule(index=st.integers(0, 50))
    def credit(self, index: int) -> None:
        with self.sessions() as session:
            ids = session.scalars(select(Invoice.id).where(Invoice.kind == "invoice")
                                  .order_by(Invoice.number)).all()
        if ids:
            try:
                with self.sessions.begin() as session:
                    issue_credit_note(session, invoice_id=ids[index % len(ids)], series="CN",
                                      now=NOW)
            except BillingConflict:
                pass

    @invariant()
    def books_balance(self) -> None:
        with self.sessions() as session:
            folio = get_folio(session, self.folio)
            owed = balances(session, folio)
            for payer in Payer:
                charged = session.scalar(select(func.coalesce(func.sum(Charge.gross_minor), 0))
                                         .where(Charge.payer == payer.value)) or 0
                assert owed[payer] == Money(int(charged) - self.paid[payer], "MXN")
            for kind, series in (("invoice", "INV"), ("credit_note", "CN")):
                numbers = session.scalars(select(Invoice.number).where(
                    Invoice.series == series).order_by(Invoice.number)).all()
                assert list(numbers) == list(range(1, len(numbers) + 1)), kind
            live = session.scalars(select(Invoice).where(Invoice.kind == "invoice")).all()
            credited = set(session.scalars(select(Invoice.corrects_id)).all())
            for invoice in live:
                lines = session.scalars(select(Charge.gross_minor).where(
                    Charge.invoice_id == invoice.id)).all()
                if invoice.id not in credited:
                    assert sum(lines) == invoice.total_minor
                    assert sum(line["gross_minor"] for line in invoice.lines) == sum(lines)
            assert session.scalar(select(func.count()).select_from(Payment)) is not None


FolioMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=15,
                                          deadline=None)
TestFolioBooks = FolioMachine.TestCase
