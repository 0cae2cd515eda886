"""Trust: the audit log chained by hashes and append-only; sign-in waits per client address.

Revision ID: trust_0001
Revises: auth_0002

An entry is written without a place in the chain (``seq`` NULL, as every entry older than this
revision is) and sealed moments later: given its seq, the previous entry's hash and its own.
``audit_head`` is the chain's end, one row that the sealer locks, so two sealers never fork the
chain. Triggers refuse any other UPDATE, and every DELETE, on PostgreSQL and SQLite alike.
"""

import sqlalchemy as sa
from alembic import op

revision = "trust_0001"
down_revision = "auth_0002"
branch_labels = ("trust",)
depends_on = None

TS = sa.DateTime(timezone=True)
GENESIS = "0" * 64
# what an entry says; only seq, prev_hash and hash may be set, once, when it is sealed
CONTENT = ("id", "at", "actor_id", "actor", "role", "address", "site", "action", "entity", "entity_id",
           "detail")


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("role", sa.String(16), nullable=True))
        batch.add_column(sa.Column("address", sa.String(64), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    op.create_index("uq_audit_log_seq", "audit_log", ["seq"], unique=True)
    op.create_index("ix_audit_actor", "audit_log", ["actor", "at"])
    op.create_index("ix_audit_unsealed", "audit_log", ["at", "id"], postgresql_where=sa.text("seq IS NULL"),
                    sqlite_where=sa.text("seq IS NULL"))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.execute(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS}')")
    op.create_table(
        "signin_addresses",
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", TS, nullable=True),
        sa.Column("wait_until", TS, nullable=True),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_signin_addresses_failures")),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_signin_addresses")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
                 AND ROW({", ".join("NEW." + c for c in CONTENT)})
                     IS NOT DISTINCT FROM ROW({", ".join("OLD." + c for c in CONTENT)}) THEN
                RETURN NEW;  -- sealing: an entry is given its place in the chain, once
              END IF;
              RAISE EXCEPTION 'audit_log is append-only';
            END $$""")
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")
    else:
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in CONTENT)
        op.execute(f"""
            CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL OR {changed}
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""")
        op.execute("""
            CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute("DROP TRIGGER audit_log_no_delete")
    op.drop_table("signin_addresses")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_unsealed", "audit_log")
    op.drop_index("ix_audit_actor", "audit_log")
    op.drop_index("uq_audit_log_seq", "audit_log")
    with op.batch_alter_table("audit_log") as batch:
        for column in ("hash", "prev_hash", "address", "role", "seq"):
            batch.drop_column(column)
