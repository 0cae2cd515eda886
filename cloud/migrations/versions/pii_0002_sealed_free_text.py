"""Personal data: staff free text about guests and the opt-out list sealed under the registry's keys.

Seals a reservation's notes and preferences, service requests' notes and redemptions' notes (new
``*_enc`` columns, the plain ones dropped), moves survey comments from a per-row context to the
column's (so ``posada guests reencrypt`` rotates them with the rest), and rebuilds
``notify_contacts`` keyed by the address's blind index with the address sealed. The downgrade
opens them all again.

Revision ID: pii_0002
Revises: pii_0001 (depends on operations_0005, loyalty_0002)
"""

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from cloud.guests.sealed import BlindKey, SealedJson, SealedText, normalize_address, vault_of

revision = "pii_0002"
down_revision = "pii_0001"
branch_labels = None
# service requests, redemptions and surveys; the opt-out table as guestweb_0004 widened it
depends_on = ("operations_0005", "loyalty_0002", "guestweb_0004")

BATCH = 500
JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)
# table -> (plain column, its type, its server default, sealed column, how it is sealed)
SEALED: dict[str, list[tuple[str, Any, str, str, str]]] = {
    "reservations": [
        ("notes", sa.Text(), "", "notes_enc", "text"),
        ("preferences", JSON, "{}", "preferences_enc", "json"),
    ],
    "ops_service_requests": [("note", sa.String(400), "", "note_enc", "text")],
    "loyalty_redemptions": [("note", sa.String(200), "", "note_enc", "text")],
}
KEYS = dict.fromkeys(("reservations", "ops_service_requests", "loyalty_redemptions", "loyalty_surveys"), "id")


def _kind(table: str, plain: str, how: str) -> Any:
    return SealedJson(f"{table}.{plain}") if how == "json" else SealedText(f"{table}.{plain}")


def _batches(table: str, columns: dict[str, Any]) -> Iterator[list[sa.Row[Any]]]:
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


def _write(table: str, reads: dict[str, Any], writes: dict[str, tuple[Any, Any]]) -> None:
    """Each row's ``reads`` turned into ``writes`` (column -> its type and a function of the row)."""
    key = KEYS[table]
    t = sa.table(table, sa.column(key), *(sa.column(c, kind) for c, (kind, _fn) in writes.items()))
    update = sa.update(t).where(t.c[key] == sa.bindparam("_key")).values(
        {c: sa.bindparam(f"_{c}", type_=kind) for c, (kind, _fn) in writes.items()}
    )
    for batch in _batches(table, reads):
        params = [{"_key": r[0], **{f"_{c}": fn(r[1:]) for c, (_k, fn) in writes.items()}} for r in batch]
        op.get_bind().execute(update, params)


def _seal(table: str, upgrade: bool) -> None:
    """Plain columns to sealed ones (``upgrade``) or back; the sealed value is the column type's."""
    dialect = op.get_bind().dialect
    columns = SEALED[table]
    for plain, kind, _default, sealed, _how in columns:
        op.add_column(table, sa.Column(sealed, sa.Text(), nullable=True) if upgrade
                      else sa.Column(plain, kind, nullable=True))
    reads = {(plain if upgrade else sealed): (kind if upgrade else sa.Text())
             for plain, kind, _d, sealed, _h in columns}
    writes: dict[str, tuple[Any, Any]] = {}
    for i, (plain, kind, default, sealed, how) in enumerate(columns):
        sealer = _kind(table, plain, how)
        empty: Any = {} if how == "json" else default
        if upgrade:
            writes[sealed] = (sa.Text(), lambda row, i=i, s=sealer, e=empty: s.process_bind_param(
                row[i] if row[i] is not None else e, dialect))
        else:
            writes[plain] = (kind, lambda row, i=i, s=sealer, e=empty: (
                s.process_result_value(row[i], dialect) if row[i] is not None else e))
    _write(table, reads, writes)
    for plain, kind, _default, sealed, _how in columns:
        if dialect.name == "postgresql":
            target, target_kind = (sealed, sa.Text()) if upgrade else (plain, kind)
            op.alter_column(table, target, existing_type=target_kind, nullable=False)
        op.drop_column(table, plain if upgrade else sealed)


def _surveys(upgrade: bool) -> None:
    """Survey comments: sealed under ``surveys:{id}`` by the feedback service before; under the
    column's own context (``loyalty_surveys.comment``) after."""
    dialect = op.get_bind().dialect
    cipher = vault_of(dialect).cipher
    column = SealedText("loyalty_surveys.comment")

    def convert(row: Any, survey_id: str) -> Any:
        token = row[0]
        if token is None:
            return None
        own = f"surveys:{survey_id}"
        if upgrade:
            return column.process_bind_param(cipher.decrypt(token, context=own), dialect)
        return cipher.encrypt(column.process_result_value(token, dialect) or "", context=own)

    t = sa.table("loyalty_surveys", sa.column("id"), sa.column("comment_enc"))
    update = sa.update(t).where(t.c.id == sa.bindparam("_key")).values(comment_enc=sa.bindparam("_c"))
    for batch in _batches("loyalty_surveys", {"comment_enc": sa.Text()}):
        found: list[tuple[Any, ...]] = [tuple(r) for r in batch]
        rows = [{"_key": r[0], "_c": convert(r[1:], r[0])} for r in found if r[1] is not None]
        if rows:
            op.get_bind().execute(update, rows)


def _contacts_table(name: str, *, sealed: bool) -> None:
    address = (
        [
            sa.Column("address_bidx", sa.String(40), primary_key=True),
            sa.Column("address_enc", sa.Text(), nullable=False),
        ]
        if sealed
        else [sa.Column("address", sa.String(320), primary_key=True)]
    )
    op.create_table(
        name,
        sa.Column("channel", sa.String(16), primary_key=True),
        *address,
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("last_inbound_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )


def _contacts(upgrade: bool) -> None:
    """Rebuilt under a new name, rows copied, the old dropped and the new renamed (a primary key
    cannot change in place on SQLite). Two plain rows of one address (``+34…`` and ``34…``) become
    one: opted out if either was."""
    dialect = op.get_bind().dialect
    sealer, index = SealedText("notify_contacts.address"), BlindKey("address", source="address_enc")
    _contacts_table("notify_contacts_next", sealed=upgrade)
    source = sa.table(
        "notify_contacts",
        sa.column("channel"),
        sa.column("address" if upgrade else "address_enc"),
        sa.column("opted_out"),
        sa.column("last_inbound_at"),
        sa.column("updated_at"),
    )
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for channel, address, opted_out, last_inbound_at, updated_at in op.get_bind().execute(sa.select(source)):
        plain = str(address if upgrade else sealer.process_result_value(address, dialect) or "")
        key = (str(channel), normalize_address(plain) if upgrade else plain)
        if not key[1]:
            continue  # an address with neither @ nor a digit cannot be keyed; it reaches no one
        row = {"channel": channel, "opted_out": bool(opted_out), "last_inbound_at": last_inbound_at,
               "updated_at": updated_at}
        if upgrade:
            row |= {"address_bidx": index.process_bind_param(plain, dialect),
                    "address_enc": sealer.process_bind_param(plain, dialect)}
        else:
            row["address"] = plain[:64]
        if key in merged:
            row["opted_out"] = row["opted_out"] or merged[key]["opted_out"]
        merged[key] = row
    if merged:
        names = list(next(iter(merged.values())))
        target = sa.table("notify_contacts_next", *(sa.column(n) for n in names))
        op.get_bind().execute(sa.insert(target), list(merged.values()))
    op.drop_table("notify_contacts")
    op.rename_table("notify_contacts_next", "notify_contacts")
    if dialect.name == "postgresql":  # the primary key is named after its table
        op.execute("ALTER TABLE notify_contacts RENAME CONSTRAINT pk_notify_contacts_next "
                   "TO pk_notify_contacts")


def upgrade() -> None:
    for table in SEALED:
        _seal(table, upgrade=True)
    _surveys(upgrade=True)
    _contacts(upgrade=True)


def downgrade() -> None:
    _contacts(upgrade=False)
    _surveys(upgrade=False)
    for table in SEALED:
        _seal(table, upgrade=False)
