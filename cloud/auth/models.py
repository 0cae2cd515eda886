"""Tables of staff access: properties in chains, staff, sessions, API tokens, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from cloud.auth.roles import Role
from cloud.core.db import Base, JsonType, UtcDateTime

ROLE_CHECK = "role IN (" + ", ".join(f"'{r.value}'" for r in Role) + ")"
SCOPE_CHECK = "(role = 'chain_admin' AND site IS NULL) OR (role <> 'chain_admin' AND site IS NOT NULL)"


class PropertyScope(Base):
    """A property (site slug) and the chain it belongs to, with its zone for display."""

    __tablename__ = "property_scopes"

    site: Mapped[str] = mapped_column(String(63), primary_key=True)
    chain: Mapped[str] = mapped_column(String(63), index=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    chain: Mapped[str] = mapped_column(String(63))
    site: Mapped[str | None] = mapped_column(ForeignKey("property_scopes.site"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failures: Mapped[int] = mapped_column(default=0)
    failure_window_start: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)  # where unlock links go

    __table_args__ = (
        CheckConstraint(ROLE_CHECK, name="role"),
        CheckConstraint(SCOPE_CHECK, name="scope"),
        CheckConstraint("failures >= 0", name="failures"),
    )


class StaffSession(Base):
    """A portal sign-in. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    user_agent: Mapped[str] = mapped_column(String(255), default="")

    __table_args__ = (Index("ix_staff_sessions_user", "user_id", "revoked_at"),)


class ApiToken(Base):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AuditEntry(Base):
    """Who changed what, when and from where: append-only, each entry chained to the one before
    by a SHA-256 hash (``cloud/auth/audit_chain.py``) once sealed (``cloud/auth/audit_seal.py``)."""

    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor_id: Mapped[str | None] = mapped_column(String(26), nullable=True)
    actor: Mapped[str] = mapped_column(String(100))
    site: Mapped[str | None] = mapped_column(String(63), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonType)
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    role: Mapped[str | None] = mapped_column(String(16), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id", "at"), Index("ix_audit_at", "at"),
                      Index("uq_audit_log_seq", "seq", unique=True), Index("ix_audit_actor", "actor", "at"),
                      Index("ix_audit_unsealed", "at", "id", postgresql_where=text("seq IS NULL"),
                            sqlite_where=text("seq IS NULL")))


class AuditHead(Base):
    """The chain's end: its last seq and hash. One row, locked by each appending transaction."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class SigninAddress(Base):
    """Failed sign-ins from one client address (an IPv6 /64), for the per-address throttle."""

    __tablename__ = "signin_addresses"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    wait_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (CheckConstraint("failures >= 0", name="failures"),)


class AccessStamp(Base):
    """One row; triggers give it a new, never reused value whenever a principal may have changed
    (a token or session revoked, a role or property changed): cached principals check it."""

    __tablename__ = "access_stamp"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    stamp: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
