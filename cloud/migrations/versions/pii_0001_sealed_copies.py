"""Personal data: every copy of a guest's name, e-mail and phone sealed under the registry's keys.

Adds the encrypted columns (``*_enc``) and the blind indexes of reservations, folios, invoices'
buyer block, queued messages, channel bookings and pre-check-ins, encrypts what the rows hold with
the keys attached to the connection (``cloud.guests.sealed.attach``), then drops the plain
columns. The downgrade decrypts them back.

Revision ID: pii_0001
Revises: 0001_board (depends on channels_0001, guestweb_0001, trust_0002, checkout_0001)
"""

from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from cloud.guests.sealed import BlindKey, NameWords, SealedJson, SealedText

revision = "pii_0001"
down_revision = "0001_board"
branch_labels = ("pii",)
# the tables it seals: channel bookings, pre-check-ins, the outbox's width (and, through trust_0002's
# billing_0002, folios and the outbox), reservations with their guest language
depends_on = ("channels_0001", "guestweb_0001", "trust_0002", "checkout_0001")

BATCH = 500
JSON = sa.JSON().with_variant(JSONB(), "postgresql")
# table -> (plain column, its type, sealed column, how it is sealed, nullable)
SEALED: dict[str, list[tuple[str, Any, str, str, bool]]] = {
    "reservations": [
        ("guest_name", sa.String(200), "guest_name_enc", "text", False),
        ("guest_email", sa.String(254), "guest_email_enc", "text", True),
        ("guest_phone", sa.String(32), "guest_phone_enc", "text", True),
    ],
    "billing_folios": [
        ("guest_name", sa.String(200), "guest_name_enc", "text", False),
        ("guest_phone", sa.String(20), "guest_phone_enc", "text", True),
    ],
    "billing_invoices": [("bill_to", JSON, "bill_to_enc", "json", False)],
    "notify_outbox": [
        ("recipient", sa.String(254), "recipient_enc", "text", False),
        ("payload", JSON, "payload_enc", "json", False),
    ],
    "channel_reservations": [
        ("guest_name", sa.String(200), "guest_name_enc", "text", False),
        ("detail", JSON, "detail_enc", "json", False),
    ],
    "guestweb_precheckins": [("signed_name", sa.String(200), "signed_name_enc", "text", False)],
}
# table -> (blind index column, its type, the plain column it is computed from)
INDEXES: dict[str, list[tuple[str, Any, str]]] = {
    "reservations": [
        ("guest_name_words", NameWords(source="guest_name_enc"), "guest_name"),
        ("guest_email_bidx", BlindKey("email", source="guest_email_enc"), "guest_email"),
        ("guest_phone_bidx", BlindKey("phone", source="guest_phone_enc"), "guest_phone"),
    ],
    "notify_outbox": [("recipient_bidx", BlindKey("address", source="recipient_enc"), "recipient")],
}
KEYS = {
    "reservations": "id",
    "billing_folios": "id",
    "billing_invoices": "id",
    "notify_outbox": "id",
    "channel_reservations": "id",
    "guestweb_precheckins": "reservation_id",
}
SQLITE_INVOICE_TRIGGER = (
    "CREATE TRIGGER billing_invoices_no_update BEFORE UPDATE ON billing_invoices "
    "BEGIN SELECT RAISE(ABORT, 'issued invoices are immutable; issue a credit note'); END"
)


def _sealer(table: str, column: str, how: str) -> sa.types.TypeDecorator[Any]:
    return SealedJson(f"{table}.{column}") if how == "json" else SealedText(f"{table}.{column}")


def _rows(table: str, columns: dict[str, Any]) -> Iterator[list[sa.Row[Any]]]:
    """Every row of ``table`` in batches, by key (so rewriting them does not disturb the walk)."""
    key = KEYS[table]
    t = sa.table(table, sa.column(key), *(sa.column(c, kind) for c, kind in columns.items()))
    after: Any = None
    while True:
        query = sa.select(t).order_by(t.c[key]).limit(BATCH)
        batch = list(op.get_bind().execute(query if after is None else query.where(t.c[key] > after)))
        if batch:
            yield batch
        if len(batch) < BATCH:
            return
        after = batch[-1][0]


Write = Callable[[sa.Row[Any]], Any]


def _rewrite(table: str, reads: dict[str, Any], writes: dict[str, tuple[Any, Write]]) -> None:
    """Read ``reads`` of every row, set each written column to what its function makes of the row."""
    key = KEYS[table]
    t = sa.table(table, sa.column(key), *(sa.column(c, kind) for c, (kind, _) in writes.items()))
    update = (
        sa.update(t)
        .where(t.c[key] == sa.bindparam("_key"))
        .values({c: sa.bindparam(f"_{c}", type_=kind) for c, (kind, _) in writes.items()})
    )
    for batch in _rows(table, reads):
        params = [{"_key": row[0], **{f"_{c}": fn(row) for c, (_, fn) in writes.items()}} for row in batch]
        op.get_bind().execute(update, params)


def _invoices_writable(writable: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        state = "DISABLE" if writable else "ENABLE"
        op.execute(f"ALTER TABLE billing_invoices {state} TRIGGER billing_invoices_immutable")
    elif writable:
        op.execute("DROP TRIGGER billing_invoices_no_update")
    else:
        op.execute(SQLITE_INVOICE_TRIGGER)


def _bind(kind: Any, at: int) -> Write:
    """Row -> the column type's stored form of the row's value at ``at`` (sealed or hashed)."""
    dialect = op.get_bind().dialect

    def write(row: sa.Row[Any]) -> Any:
        return kind.process_bind_param(row[at], dialect)

    return write


def _result(kind: Any, at: int) -> Write:
    """Row -> the plain value of the sealed token at ``at``."""
    dialect = op.get_bind().dialect

    def write(row: sa.Row[Any]) -> Any:
        return kind.process_result_value(row[at], dialect)

    return write


def _sealing(table: str) -> dict[str, tuple[Any, Write]]:
    writes: dict[str, tuple[Any, Write]] = {}
    for i, (plain, _kind, sealed, how, _null) in enumerate(SEALED[table]):
        writes[sealed] = (sa.Text(), _bind(_sealer(table, plain, how), i + 1))
    plain_at = {plain: i for i, (plain, *_rest) in enumerate(SEALED[table])}
    for column, index, source in INDEXES.get(table, []):
        writes[column] = (sa.Text(), _bind(index, plain_at[source] + 1))
    return writes


def _opening(table: str) -> dict[str, tuple[Any, Write]]:
    return {
        plain: (kind, _result(_sealer(table, plain, how), i + 1))
        for i, (plain, kind, _sealed, how, _null) in enumerate(SEALED[table])
    }


def _set_not_null(table: str, columns: list[str], kinds: list[Any]) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite cannot tighten a column in place; the application always writes them
    for column, kind in zip(columns, kinds, strict=True):
        op.alter_column(table, column, existing_type=kind, nullable=False)


def upgrade() -> None:
    for table, columns in SEALED.items():
        for _plain, _kind, sealed, _how, _null in columns:
            op.add_column(table, sa.Column(sealed, sa.Text(), nullable=True))
        for column, index, _source in INDEXES.get(table, []):
            op.add_column(table, sa.Column(column, index.impl, nullable=True))
        if table == "billing_invoices":
            _invoices_writable(True)
        _rewrite(table, {plain: kind for plain, kind, *_rest in columns}, _sealing(table))
        if table == "billing_invoices":
            _invoices_writable(False)
        required = [sealed for _p, _k, sealed, _h, null in columns if not null]
        _set_not_null(table, required, [sa.Text()] * len(required))
        for plain, *_rest in columns:
            op.drop_column(table, plain)
    op.create_index("ix_reservations_email_bidx", "reservations", ["guest_email_bidx"])
    op.create_index("ix_reservations_phone_bidx", "reservations", ["guest_phone_bidx"])
    op.create_index("ix_notify_outbox_recipient_bidx", "notify_outbox", ["recipient_bidx"])


def downgrade() -> None:
    op.drop_index("ix_notify_outbox_recipient_bidx", "notify_outbox")
    op.drop_index("ix_reservations_phone_bidx", "reservations")
    op.drop_index("ix_reservations_email_bidx", "reservations")
    for table, columns in SEALED.items():
        for plain, kind, _sealed, _how, _null in columns:
            op.add_column(table, sa.Column(plain, kind, nullable=True))
        if table == "billing_invoices":
            _invoices_writable(True)
        _rewrite(table, {sealed: sa.Text() for _p, _k, sealed, *_rest in columns}, _opening(table))
        if table == "billing_invoices":
            _invoices_writable(False)
        required = [(plain, kind) for plain, kind, _s, _h, null in columns if not null]
        _set_not_null(table, [p for p, _ in required], [k for _, k in required])
        for _plain, _kind, sealed, _how, _null in columns:
            op.drop_column(table, sealed)
        for column, _index, _source in INDEXES.get(table, []):
            op.drop_column(table, column)
