"""Staff access: properties in chains, staff accounts, sessions, API tokens, audit log.

Revision ID: auth_0001
Revises: 0001_board
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from cloud.auth.models import ROLE_CHECK, SCOPE_CHECK

revision = "auth_0001"
down_revision = "0001_board"
branch_labels = ("auth",)
depends_on = None

JSON = sa.JSON().with_variant(JSONB(), "postgresql")
TS = sa.DateTime(timezone=True)


def _user_fk() -> sa.ForeignKey:
    return sa.ForeignKey("staff_users.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "property_scopes",
        sa.Column("site", sa.String(63), primary_key=True),
        sa.Column("chain", sa.String(63), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
    )
    op.create_table(
        "staff_users",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("chain", sa.String(63), nullable=False),
        sa.Column("site", sa.String(63), sa.ForeignKey("property_scopes.site"), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("failure_window_start", TS, nullable=True),
        sa.Column("locked_until", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint(ROLE_CHECK, name="role"),
        sa.CheckConstraint(SCOPE_CHECK, name="scope"),
        sa.CheckConstraint("failures >= 0", name="failures"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.String(26), _user_fk(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("user_agent", sa.String(255), nullable=False),
    )
    op.create_index("ix_staff_sessions_user", "staff_sessions", ["user_id", "revoked_at"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.String(26), _user_fk(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("last_used_at", TS, nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(26), primary_key=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.String(26), nullable=True),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("site", sa.String(63), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("detail", JSON, nullable=False),
    )
    op.create_index("ix_audit_entity", "audit_log", ["entity", "entity_id", "at"])
    op.create_index("ix_audit_at", "audit_log", ["at"])


def downgrade() -> None:
    for table in ("audit_log", "api_tokens", "staff_sessions", "staff_users", "property_scopes"):
        op.drop_table(table)
