"""An access stamp: one row whose value changes whenever a signed-in principal may have changed.

Request authentication keeps each token's principal in memory and reads this one value per
request to know whether its copy is still current, in every worker process. Triggers set a new
value when a token or session is revoked, expires or is deleted, and when a staff member's
role, property, chain, name or active flag changes (or their property's chain or zone) —
whoever writes. Routine writes (last use, failed sign-ins) leave it alone. The value is never
reused (a sequence on PostgreSQL, a random 64-bit number on SQLite).

Revision ID: auth_0002
Revises: auth_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "auth_0002"
down_revision = "auth_0001"
branch_labels = None
depends_on = None

# table -> the columns whose change can change or end a principal
WATCHED = {
    "staff_users": ("username", "display_name", "role", "chain", "site", "active"),
    "api_tokens": ("token_hash", "user_id", "expires_at", "revoked_at"),
    "staff_sessions": ("token_hash", "user_id", "expires_at", "revoked_at"),
    "property_scopes": ("site", "chain", "time_zone"),
}


def upgrade() -> None:
    op.create_table(
        "access_stamp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_access_stamp_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_stamp")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def _postgresql() -> None:
    op.execute("CREATE SEQUENCE access_stamp_seq")
    op.execute("INSERT INTO access_stamp (id, stamp) VALUES (1, nextval('access_stamp_seq'))")
    op.execute(
        "CREATE FUNCTION access_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE access_stamp SET stamp = nextval('access_stamp_seq') WHERE id = 1; "
        "RETURN NULL; END $$"
    )
    for table, columns in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER {table}_access_stamp AFTER UPDATE OF {', '.join(columns)} OR DELETE "
            f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION access_stamp_bump()"
        )


def _sqlite() -> None:
    op.execute("INSERT INTO access_stamp (id, stamp) VALUES (1, random())")
    bump = "BEGIN UPDATE access_stamp SET stamp = random() WHERE id = 1; END"
    for table, columns in WATCHED.items():
        op.execute(f"CREATE TRIGGER {table}_access_stamp_update AFTER UPDATE OF {', '.join(columns)} "
                   f"ON {table} {bump}")
        op.execute(f"CREATE TRIGGER {table}_access_stamp_delete AFTER DELETE ON {table} {bump}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_access_stamp ON {table}")
        op.execute("DROP FUNCTION IF EXISTS access_stamp_bump()")
        op.execute("DROP SEQUENCE IF EXISTS access_stamp_seq")
    else:
        for table in WATCHED:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_access_stamp_{event}")
    op.drop_table("access_stamp")
