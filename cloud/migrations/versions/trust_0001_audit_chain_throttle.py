"""Trust: the audit log chained by hashes and append-only; sign-in waits per client address.

Revision ID: trust_0001
Revises: auth_0002

Entries written before this revision keep no place in the chain (``seq`` NULL); every later one
holds its place, the previous entry's hash and its own. ``audit_head`` is the chain's end, one
row that every appending transaction locks, so two writers never fork the chain. Triggers refuse
an UPDATE or DELETE of the log on PostgreSQL and SQLite alike.
"""

import sqlalchemy as sa
from alembic import op

revision = "trust_0001"
down_revision = "auth_0002"
branch_labels = ("trust",)
depends_on = None

TS = sa.DateTime(timezone=True)
GENESIS = "0" * 64


def upgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("role", sa.String(16), nullable=True))
        batch.add_column(sa.Column("address", sa.String(64), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
    op.create_index("uq_audit_log_seq", "audit_log", ["seq"], unique=True)
    op.create_index("ix_audit_actor", "audit_log", ["actor", "at"])
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
        op.execute("""
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""")
        op.execute("""
            CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log
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
    op.drop_index("ix_audit_actor", "audit_log")
    op.drop_index("uq_audit_log_seq", "audit_log")
    with op.batch_alter_table("audit_log") as batch:
        for column in ("hash", "prev_hash", "address", "role", "seq"):
            batch.drop_column(column)
