"""Loyalty tables: members across a chain, the profiles they hold, lots, the append-only
ledger of entries and each property's sub-ledger for settling between hotels.

No personal data here: a member is reached through the registry's profiles (``guest_id``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cloud.core.db import Base, JsonType, UtcDateTime
from cloud.guests.sealed import SealedText

LOT_STATES = ("pending", "available", "reversed")
ENTRY_KINDS = ("pending", "confirm", "earn", "redeem", "reverse", "expire")
SETTLEMENT_KINDS = ("issue", "reverse", "expire", "redeem_out", "redeem_in")
REDEMPTION_KINDS = ("night", "service", "upgrade")


class Member(Base):
    """One membership per person across a chain; balances are caches of the entries, checked."""

    __tablename__ = "loyalty_members"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    chain: Mapped[str] = mapped_column(String(63), index=True)
    tier: Mapped[str] = mapped_column(String(16), default="member")
    available: Mapped[int] = mapped_column(BigInteger, default=0)
    pending: Mapped[int] = mapped_column(BigInteger, default=0)
    qualifying: Mapped[int] = mapped_column(BigInteger, default=0)  # earned and kept: decides the tier
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # set when two profiles of one person merged: this membership's lots and entries moved there
    merged_into: Mapped[str | None] = mapped_column(String(26), nullable=True)

    __table_args__ = (
        CheckConstraint("available >= 0 AND pending >= 0 AND qualifying >= 0", name="not_negative"),
        CheckConstraint("tier IN ('member', 'silver', 'gold')", name="tier"),
    )


class MemberProfile(Base):
    """A property's registry profile of the member: at most one membership per profile."""

    __tablename__ = "loyalty_member_profiles"

    guest_id: Mapped[str] = mapped_column(ForeignKey("guests.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"), index=True)
    site: Mapped[str] = mapped_column(String(63), index=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Lot(Base):
    """What one stay or action earned; ``remaining`` is what is left to spend."""

    __tablename__ = "loyalty_lots"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"), index=True)
    site: Mapped[str] = mapped_column(String(63))  # the property that issued it
    reservation_id: Mapped[str | None] = mapped_column(String(26), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(80))  # "stay", "survey:<id>", ...
    state: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("points >= 0 AND remaining BETWEEN 0 AND points", name="remaining"),
        CheckConstraint("state IN ('pending', 'available', 'reversed')", name="state"),
        Index("uq_loyalty_lots_member_action", "member_id", "action", "reservation_id", unique=True),
    )


class Entry(Base):
    """An append-only line of the points ledger; traceable to its stay or its action."""

    __tablename__ = "loyalty_entries"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)  # ULID: the ledger's order
    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"), index=True)
    lot_id: Mapped[str | None] = mapped_column(ForeignKey("loyalty_lots.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    bucket: Mapped[str] = mapped_column(String(16))  # which balance it moves: pending or available
    points: Mapped[int] = mapped_column(BigInteger)  # signed
    site: Mapped[str] = mapped_column(String(63))
    reservation_id: Mapped[str | None] = mapped_column(String(26), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(80))
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        CheckConstraint("points <> 0", name="moves"),
        CheckConstraint("bucket IN ('pending', 'available')", name="bucket"),
        CheckConstraint("kind IN ('pending', 'confirm', 'earn', 'redeem', 'reverse', 'expire')", name="kind"),
        CheckConstraint("action <> '' OR reservation_id IS NOT NULL", name="traceable"),
    )


class Settlement(Base):
    """A property's sub-ledger line: points it issued or took back, or honoured for others."""

    __tablename__ = "loyalty_settlements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site: Mapped[str] = mapped_column(String(63), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"), index=True)
    entry_id: Mapped[str] = mapped_column(ForeignKey("loyalty_entries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(BigInteger)  # signed: the property's outstanding points
    value_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))

    __table_args__ = (
        CheckConstraint("kind IN ('issue', 'reverse', 'expire', 'redeem_out', 'redeem_in')", name="kind"),
    )


class Redemption(Base):
    """Points spent on a night, a service or an upgrade at a property of the chain."""

    __tablename__ = "loyalty_redemptions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("loyalty_members.id"), index=True)
    site: Mapped[str] = mapped_column(String(63))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(BigInteger)
    value_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reservation_id: Mapped[str | None] = mapped_column(String(26), nullable=True)
    note: Mapped[str] = mapped_column("note_enc", SealedText("loyalty_redemptions.note"), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    folio_charge_id: Mapped[str | None] = mapped_column(String(26), nullable=True)  # the allowance line
    folio_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)  # the kind it allowed
    reversed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("points > 0 AND value_minor >= 0", name="positive"),
        CheckConstraint("kind IN ('night', 'service', 'upgrade')", name="kind"),
    )


class Survey(Base):
    """A survey sent to a guest (after check-out or mid-stay); the link carries a token, stored hashed."""

    __tablename__ = "loyalty_surveys"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reservation_id: Mapped[str] = mapped_column(String(26), index=True)
    guest_id: Mapped[str] = mapped_column(ForeignKey("guests.id"), index=True)
    site: Mapped[str] = mapped_column(String(63), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))  # email, whatsapp or none (no contact on file)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    scores: Mapped[dict[str, int]] = mapped_column(JsonType, default=dict)
    # free text may be personal: sealed by the column type (migration pii_0002)
    comment_enc: Mapped[str | None] = mapped_column(SealedText("loyalty_surveys.comment"), nullable=True)
    low: Mapped[bool] = mapped_column(Boolean, default=False)
    points: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        CheckConstraint("kind IN ('mid_stay', 'post_stay')", name="kind"),
        Index("uq_loyalty_surveys_reservation_kind", "reservation_id", "kind", unique=True),
    )
