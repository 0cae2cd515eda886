"""Personal data: a charge's description and a folio's company name sealed under the registry's keys.

Staff write who a charge was for ("dinner, Mr Smith and guest") and a company name is often a
self-employed guest's own name: ``billing_charges.description`` and ``billing_folios.company_name``
become ``*_enc`` columns, existing rows sealed, the plain columns dropped. A posted charge stays
immutable except its sealed description, which a key rotation and an erasure rewrite: the guard
trigger (PostgreSQL's function, SQLite's column list) lets that one column change. Issued
invoices keep their own copy of each line (tax law), untouched. The downgrade opens them again.

Revision ID: pii_0003
Revises: pii_0002
"""

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

from cloud.guests.sealed import SealedText

revision = "pii_0003"
down_revision = "pii_0002"
branch_labels = None
depends_on = None  # the billing tables and the charges' guard come before pii_0001 (billing_0002)

BATCH = 500
# table -> (plain column, its type, sealed column, nullable)
SEALED: dict[str, tuple[str, Any, str, bool]] = {
    "billing_folios": ("company_name", sa.String(200), "company_name_enc", True),
    "billing_charges": ("description", sa.String(200), "description_enc", False),
}
GUARD = """
CREATE OR REPLACE FUNCTION billing_charges_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE'
       OR (to_jsonb(NEW) - 'invoice_id'{also}) IS DISTINCT FROM (to_jsonb(OLD) - 'invoice_id'{also}) THEN
        RAISE EXCEPTION 'posted charges are immutable; post a correcting line'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql
"""
COLUMNS = ("folio_id, origin_folio_id, payer, kind, {description}discount, quantity, unit_minor, currency, "
           "net_minor, tax_minor, gross_minor, taxes, night, posted_at")
SQLITE_GUARD = ("CREATE TRIGGER billing_charges_no_update BEFORE UPDATE OF {columns} ON billing_charges "
                "BEGIN SELECT RAISE(ABORT, 'posted charges are immutable; post a correcting line'); END")


def _guard(sealed: bool) -> None:
    """The charges' guard as it must be once the description is sealed (or as it was)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GUARD.format(also=" - 'description_enc'" if sealed else ""))
        return
    op.execute("DROP TRIGGER IF EXISTS billing_charges_no_update")
    op.execute(SQLITE_GUARD.format(columns=COLUMNS.format(description="" if sealed else "description, ")))


def _batches(table: str, column: str, kind: Any) -> Iterator[list[tuple[Any, Any]]]:
    t = sa.table(table, sa.column("id"), sa.column(column, kind))
    after: Any = None
    while True:
        query = sa.select(t.c.id, t.c[column]).order_by(t.c.id).limit(BATCH)
        found = op.get_bind().execute(query if after is None else query.where(t.c.id > after))
        batch = [(row[0], row[1]) for row in found]
        if batch:
            yield batch
        if len(batch) < BATCH:
            return
        after = batch[-1][0]


def _seal(table: str, upgrade: bool) -> None:
    """The plain column to the sealed one (``upgrade``) or back, row by row in batches."""
    dialect = op.get_bind().dialect
    plain, kind, sealed, nullable = SEALED[table]
    sealer = SealedText(f"{table}.{plain}")
    source, target, target_kind = (plain, sealed, sa.Text()) if upgrade else (sealed, plain, kind)
    op.add_column(table, sa.Column(target, target_kind, nullable=True))
    t = sa.table(table, sa.column("id"), sa.column(target, target_kind))
    update = sa.update(t).where(t.c.id == sa.bindparam("_key")).values({target: sa.bindparam("_value")})
    convert = sealer.process_bind_param if upgrade else sealer.process_result_value
    for batch in _batches(table, source, kind if upgrade else sa.Text()):
        rows = [{"_key": r[0], "_value": convert(r[1], dialect)} for r in batch if r[1] is not None]
        if rows:
            op.get_bind().execute(update, rows)
    if dialect.name == "postgresql" and not nullable:
        op.alter_column(table, target, existing_type=target_kind, nullable=False)
    op.drop_column(table, source)


def upgrade() -> None:
    _guard(sealed=True)  # first: on PostgreSQL the new column is written under it
    for table in SEALED:
        _seal(table, upgrade=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE billing_charges DISABLE TRIGGER billing_charges_guard")
    else:
        op.execute("DROP TRIGGER IF EXISTS billing_charges_no_update")
    for table in SEALED:
        _seal(table, upgrade=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE billing_charges ENABLE TRIGGER billing_charges_guard")
    _guard(sealed=False)
