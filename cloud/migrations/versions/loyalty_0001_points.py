"""Loyalty: members across a chain, their profiles, lots, the points ledger, property sub-ledgers
and redemptions. ``reservations.guest_id`` exists already (reservations_0001, indexed by
booking_speed_0002), so stays link to profiles without a change here.

Revision ID: loyalty_0001
Revises: setup_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "loyalty_0001"
down_revision = "setup_0001"
branch_labels = ("loyalty",)
depends_on = ("guests_0001",)  # loyalty_member_profiles.guest_id references guests.id

NOW = sa.DateTime(timezone=True)


def _id(name: str = "id") -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.String(26), nullable=False)


def _member_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["member_id"], ["loyalty_members.id"], name=op.f(f"fk_{table}_member_id_loyalty_members")
    )


def upgrade() -> None:
    op.create_table(
        "loyalty_members",
        _id(),
        sa.Column("chain", sa.String(63), nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.Column("pending", sa.BigInteger(), nullable=False),
        sa.Column("qualifying", sa.BigInteger(), nullable=False),
        sa.Column("enrolled_at", NOW, nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
        sa.CheckConstraint(
            "available >= 0 AND pending >= 0 AND qualifying >= 0",
            name=op.f("ck_loyalty_members_not_negative"),
        ),
        sa.CheckConstraint("tier IN ('member', 'silver', 'gold')", name=op.f("ck_loyalty_members_tier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_members")),
    )
    op.create_index(op.f("ix_loyalty_members_chain"), "loyalty_members", ["chain"])
    op.create_table(
        "loyalty_member_profiles",
        _id("guest_id"),
        _id("member_id"),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("linked_at", NOW, nullable=False),
        sa.ForeignKeyConstraint(
            ["guest_id"], ["guests.id"], name=op.f("fk_loyalty_member_profiles_guest_id_guests")
        ),
        _member_fk("loyalty_member_profiles"),
        sa.PrimaryKeyConstraint("guest_id", name=op.f("pk_loyalty_member_profiles")),
    )
    op.create_index(op.f("ix_loyalty_member_profiles_member_id"), "loyalty_member_profiles", ["member_id"])
    op.create_index(op.f("ix_loyalty_member_profiles_site"), "loyalty_member_profiles", ["site"])
    _lots_and_entries()
    _settlements_and_redemptions()


def _lots_and_entries() -> None:
    op.create_table(
        "loyalty_lots",
        _id(),
        _id("member_id"),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("reservation_id", sa.String(26), nullable=True),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("remaining", sa.BigInteger(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("created_at", NOW, nullable=False),
        sa.CheckConstraint(
            "points >= 0 AND remaining BETWEEN 0 AND points", name=op.f("ck_loyalty_lots_remaining")
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'available', 'reversed')", name=op.f("ck_loyalty_lots_state")
        ),
        _member_fk("loyalty_lots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_lots")),
    )
    op.create_index(op.f("ix_loyalty_lots_member_id"), "loyalty_lots", ["member_id"])
    op.create_index(op.f("ix_loyalty_lots_reservation_id"), "loyalty_lots", ["reservation_id"])
    op.create_index(
        "uq_loyalty_lots_member_action",
        "loyalty_lots",
        ["member_id", "action", "reservation_id"],
        unique=True,
    )
    op.create_table(
        "loyalty_entries",
        _id(),
        _id("member_id"),
        sa.Column("lot_id", sa.String(26), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("bucket", sa.String(16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("reservation_id", sa.String(26), nullable=True),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.CheckConstraint("points <> 0", name=op.f("ck_loyalty_entries_moves")),
        sa.CheckConstraint("bucket IN ('pending', 'available')", name=op.f("ck_loyalty_entries_bucket")),
        sa.CheckConstraint(
            "kind IN ('pending', 'confirm', 'earn', 'redeem', 'reverse', 'expire')",
            name=op.f("ck_loyalty_entries_kind"),
        ),
        sa.CheckConstraint(
            "action <> '' OR reservation_id IS NOT NULL", name=op.f("ck_loyalty_entries_traceable")
        ),
        _member_fk("loyalty_entries"),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["loyalty_lots.id"], name=op.f("fk_loyalty_entries_lot_id_loyalty_lots")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_entries")),
    )
    for column in ("member_id", "lot_id", "reservation_id"):
        op.create_index(op.f(f"ix_loyalty_entries_{column}"), "loyalty_entries", [column])


def _settlements_and_redemptions() -> None:
    op.create_table(
        "loyalty_settlements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site", sa.String(63), nullable=False),
        _id("member_id"),
        _id("entry_id"),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.CheckConstraint(
            "kind IN ('issue', 'reverse', 'expire', 'redeem_out', 'redeem_in')",
            name=op.f("ck_loyalty_settlements_kind"),
        ),
        _member_fk("loyalty_settlements"),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["loyalty_entries.id"], name=op.f("fk_loyalty_settlements_entry_id_loyalty_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_settlements")),
    )
    for column in ("site", "member_id", "entry_id"):
        op.create_index(op.f(f"ix_loyalty_settlements_{column}"), "loyalty_settlements", [column])
    op.create_table(
        "loyalty_redemptions",
        _id(),
        _id("member_id"),
        sa.Column("site", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("reservation_id", sa.String(26), nullable=True),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.CheckConstraint("points > 0 AND value_minor >= 0", name=op.f("ck_loyalty_redemptions_positive")),
        sa.CheckConstraint(
            "kind IN ('night', 'service', 'upgrade')", name=op.f("ck_loyalty_redemptions_kind")
        ),
        _member_fk("loyalty_redemptions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_redemptions")),
    )
    op.create_index(op.f("ix_loyalty_redemptions_member_id"), "loyalty_redemptions", ["member_id"])


def downgrade() -> None:
    for table in (
        "loyalty_redemptions",
        "loyalty_settlements",
        "loyalty_entries",
        "loyalty_lots",
        "loyalty_member_profiles",
        "loyalty_members",
    ):
        op.drop_table(table)
