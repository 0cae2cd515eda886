"""Folios, charges, payments, invoice series, invoices (immutable), idempotency keys.

Revision ID: billing_0001
Revises: 0001_board
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "billing_0001"
down_revision = "0001_board"
branch_labels = ("billing",)
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
MONEY = sa.BigInteger

PG_IMMUTABLE = """
CREATE FUNCTION billing_invoices_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'issued invoices are immutable; issue a credit note'
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER billing_invoices_immutable BEFORE UPDATE OR DELETE ON billing_invoices
FOR EACH ROW EXECUTE FUNCTION billing_invoices_immutable()
"""
# Posted charges change only by being invoiced (or freed by a credit note); payments only
# by settling while pending. Corrections are new rows, never edits.
PG_GUARDS = [
    """
CREATE FUNCTION billing_charges_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR (to_jsonb(NEW) - 'invoice_id') IS DISTINCT FROM (to_jsonb(OLD) - 'invoice_id') THEN
        RAISE EXCEPTION 'posted charges are immutable; post a correcting line'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER billing_charges_guard BEFORE UPDATE OR DELETE ON billing_charges
FOR EACH ROW EXECUTE FUNCTION billing_charges_guard()
""",
    """
CREATE FUNCTION billing_payments_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.status <> 'pending'
       OR (to_jsonb(NEW) - 'status' - 'settled_at')
          IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'settled_at') THEN
        RAISE EXCEPTION 'payments are immutable once settled; record a refund'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql
""",
    """
CREATE TRIGGER billing_payments_guard BEFORE UPDATE OR DELETE ON billing_payments
FOR EACH ROW EXECUTE FUNCTION billing_payments_guard()
""",
]
CHARGE_COLUMNS = ("folio_id, origin_folio_id, payer, kind, description, discount, quantity, "
                  "unit_minor, currency, net_minor, tax_minor, gross_minor, taxes, night, "
                  "posted_at")
PAYMENT_COLUMNS = ("folio_id, payer, direction, method, stage, amount_minor, currency, "
                   "provider, provider_ref, refund_of, created_at")
_INVOICES = "'issued invoices are immutable; issue a credit note'"
_CHARGES = "'posted charges are immutable; post a correcting line'"
_PAYMENTS = "'payments are immutable once settled; record a refund'"
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER billing_invoices_no_update BEFORE UPDATE ON billing_invoices "
    f"BEGIN SELECT RAISE(ABORT, {_INVOICES}); END",
    f"CREATE TRIGGER billing_invoices_no_delete BEFORE DELETE ON billing_invoices "
    f"BEGIN SELECT RAISE(ABORT, {_INVOICES}); END",
    f"CREATE TRIGGER billing_charges_no_update BEFORE UPDATE OF {CHARGE_COLUMNS} "
    f"ON billing_charges BEGIN SELECT RAISE(ABORT, {_CHARGES}); END",
    f"CREATE TRIGGER billing_charges_no_delete BEFORE DELETE ON billing_charges "
    f"BEGIN SELECT RAISE(ABORT, {_CHARGES}); END",
    f"CREATE TRIGGER billing_payments_no_update BEFORE UPDATE OF {PAYMENT_COLUMNS} "
    f"ON billing_payments BEGIN SELECT RAISE(ABORT, {_PAYMENTS}); END",
    f"CREATE TRIGGER billing_payments_settled BEFORE UPDATE OF status, settled_at "
    f"ON billing_payments WHEN OLD.status <> 'pending' "
    f"BEGIN SELECT RAISE(ABORT, {_PAYMENTS}); END",
    f"CREATE TRIGGER billing_payments_no_delete BEFORE DELETE ON billing_payments "
    f"BEGIN SELECT RAISE(ABORT, {_PAYMENTS}); END",
]


def upgrade() -> None:
    _folios()
    op.create_table(
        "billing_invoice_series",
        sa.Column("series", sa.String(32), primary_key=True),
        sa.Column("last_number", sa.BigInteger, nullable=False, server_default="0"),
        sa.CheckConstraint("last_number >= 0", name="last_number"),
    )
    _invoices()
    _charges()
    _payments()
    op.create_table(
        "billing_idempotency",
        sa.Column("scope", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer, nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_billing_idempotency_created", "billing_idempotency", ["created_at"])
    if op.get_bind().dialect.name == "postgresql":
        for statement in (PG_IMMUTABLE, PG_TRIGGER, *PG_GUARDS):
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def _folios() -> None:
    op.create_table(
        "billing_folios",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("reservation_id", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("master_folio_id", sa.String(32), sa.ForeignKey("billing_folios.id"),
                  nullable=True),
        sa.Column("routed_kinds", JSON, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("guest_name", sa.String(200), nullable=False),
        sa.Column("guest_language", sa.String(8), nullable=False),
        sa.Column("guest_phone", sa.String(20), nullable=True),
        sa.Column("company_name", sa.String(200), nullable=True),
        sa.Column("company_tax_id", sa.String(64), nullable=True),
        sa.Column("arrival_at", TS, nullable=True),
        sa.Column("checkout_at", TS, nullable=True),
        sa.Column("departed_at", TS, nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("kind IN ('stay', 'master')", name="kind"),
        sa.CheckConstraint("status IN ('open', 'closed')", name="status"),
        sa.CheckConstraint("kind = 'stay' OR master_folio_id IS NULL", name="master_is_top"),
    )
    op.create_index("ix_billing_folios_reservation_id", "billing_folios", ["reservation_id"])


def _invoices() -> None:
    op.create_table(
        "billing_invoices",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("series", sa.String(32), sa.ForeignKey("billing_invoice_series.series"),
                  nullable=False),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("corrects_id", sa.String(32), sa.ForeignKey("billing_invoices.id"),
                  nullable=True, unique=True),
        sa.Column("folio_id", sa.String(32), sa.ForeignKey("billing_folios.id"), nullable=False),
        sa.Column("payer", sa.String(8), nullable=False),
        sa.Column("bill_to", JSON, nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("net_minor", MONEY, nullable=False),
        sa.Column("tax_minor", MONEY, nullable=False),
        sa.Column("total_minor", MONEY, nullable=False),
        sa.Column("lines", JSON, nullable=False),
        sa.Column("taxes", JSON, nullable=False),
        sa.Column("issued_at", TS, nullable=False),
        sa.UniqueConstraint("series", "number", name="uq_billing_invoices_series_number"),
        sa.CheckConstraint("number > 0", name="number"),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        sa.CheckConstraint("(kind = 'credit_note') = (corrects_id IS NOT NULL)",
                           name="correction"),
        sa.CheckConstraint("net_minor + tax_minor = total_minor", name="sums"),
    )
    op.create_index("ix_billing_invoices_folio_id", "billing_invoices", ["folio_id"])


def _charges() -> None:
    op.create_table(
        "billing_charges",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("folio_id", sa.String(32), sa.ForeignKey("billing_folios.id"), nullable=False),
        sa.Column("origin_folio_id", sa.String(32), sa.ForeignKey("billing_folios.id"),
                  nullable=False),
        sa.Column("payer", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("discount", sa.Boolean, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("unit_minor", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("net_minor", MONEY, nullable=False),
        sa.Column("tax_minor", MONEY, nullable=False),
        sa.Column("gross_minor", MONEY, nullable=False),
        sa.Column("taxes", JSON, nullable=False),
        sa.Column("night", sa.Date, nullable=True),
        sa.Column("invoice_id", sa.String(32), sa.ForeignKey("billing_invoices.id"),
                  nullable=True),
        sa.Column("posted_at", TS, nullable=False),
        sa.CheckConstraint("payer IN ('guest', 'company')", name="payer"),
        sa.CheckConstraint("quantity > 0 AND unit_minor > 0", name="positive_units"),
        sa.CheckConstraint("net_minor + tax_minor = gross_minor", name="sums"),
    )
    op.create_index("ix_billing_charges_folio_id", "billing_charges", ["folio_id"])
    op.create_index("ix_billing_charges_invoice_id", "billing_charges", ["invoice_id"])


def _payments() -> None:
    op.create_table(
        "billing_payments",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("folio_id", sa.String(32), sa.ForeignKey("billing_folios.id"), nullable=False),
        sa.Column("payer", sa.String(8), nullable=False),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("stage", sa.String(12), nullable=False),
        sa.Column("amount_minor", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("provider", sa.String(16), nullable=True),
        sa.Column("provider_ref", sa.String(255), nullable=True, unique=True),
        sa.Column("refund_of", sa.String(32), sa.ForeignKey("billing_payments.id"),
                  nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("settled_at", TS, nullable=True),
        sa.CheckConstraint("amount_minor > 0", name="positive"),
        sa.CheckConstraint("direction IN ('payment', 'refund')", name="direction"),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        sa.CheckConstraint("method IN ('cash', 'card', 'qr')", name="method"),
        sa.CheckConstraint("(direction = 'refund') = (refund_of IS NOT NULL)",
                           name="refund_link"),
    )
    op.create_index("ix_billing_payments_folio_id", "billing_payments", ["folio_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, name in (("billing_invoices", "billing_invoices_immutable"),
                            ("billing_charges", "billing_charges_guard"),
                            ("billing_payments", "billing_payments_guard")):
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
    for table in ("billing_idempotency", "billing_payments", "billing_charges",
                  "billing_invoices", "billing_invoice_series", "billing_folios"):
        op.drop_table(table)
