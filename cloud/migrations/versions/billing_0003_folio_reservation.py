"""A stay's folio refers to its reservation by foreign key; one stay folio per reservation;
a group block's master folio (billing_block_folios).

PostgreSQL gets the foreign key. On SQLite, adding one means rebuilding billing_folios, and
its children (charges, payments, invoices) make that rebuild fail inside the migration's
transaction with foreign keys on (dropping the parent counts as deleting their folios); the
same rule is kept there by triggers instead, with the same message SQLite gives.

Revision ID: billing_0003
Revises: billing_0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "billing_0003"
down_revision = "billing_0002"
branch_labels = None
depends_on = ("reservations_0001",)  # the reservations and group_blocks tables
JSON = sa.JSON().with_variant(JSONB(), "postgresql")

ORPHANS = """
SELECT count(*) FROM billing_folios f
WHERE f.reservation_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.id = f.reservation_id)
"""


SQLITE_TRIGGERS = (
    """CREATE TRIGGER billing_folios_reservation_insert BEFORE INSERT ON billing_folios
    WHEN NEW.reservation_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM reservations WHERE id = NEW.reservation_id)
    BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END""",
    """CREATE TRIGGER billing_folios_reservation_update BEFORE UPDATE OF reservation_id
    ON billing_folios WHEN NEW.reservation_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM reservations WHERE id = NEW.reservation_id)
    BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END""",
    """CREATE TRIGGER reservations_folio_delete BEFORE DELETE ON reservations
    WHEN EXISTS (SELECT 1 FROM billing_folios WHERE reservation_id = OLD.id)
    BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END""",
    """CREATE TRIGGER reservations_folio_rekey BEFORE UPDATE OF id ON reservations
    WHEN EXISTS (SELECT 1 FROM billing_folios WHERE reservation_id = OLD.id)
    BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed'); END""",
)
TRIGGER_NAMES = ("billing_folios_reservation_insert", "billing_folios_reservation_update",
                 "reservations_folio_delete", "reservations_folio_rekey")


def upgrade() -> None:
    bind = op.get_bind()
    orphans = bind.execute(sa.text(ORPHANS)).scalar_one()
    if orphans:
        raise RuntimeError(
            f"{orphans} folio(s) name a reservation that does not exist; set their "
            "reservation_id to NULL (or to the right reservation) and upgrade again")
    if bind.dialect.name == "postgresql":
        op.alter_column("billing_folios", "reservation_id", existing_type=sa.String(64),
                        type_=sa.String(26), existing_nullable=True)
        op.create_foreign_key("fk_billing_folios_reservation", "billing_folios", "reservations",
                              ["reservation_id"], ["id"])
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    op.create_index("uq_billing_folios_stay_reservation", "billing_folios", ["reservation_id"],
                    unique=True, postgresql_where=sa.text("kind = 'stay'"),
                    sqlite_where=sa.text("kind = 'stay'"))
    op.create_table(
        "billing_block_folios",
        sa.Column("block_id", sa.String(26), sa.ForeignKey("group_blocks.id"), primary_key=True),
        sa.Column("folio_id", sa.String(32), sa.ForeignKey("billing_folios.id"), nullable=False,
                  unique=True),
        sa.Column("company_pays", JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("billing_block_folios")
    op.drop_index("uq_billing_folios_stay_reservation", table_name="billing_folios")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint("fk_billing_folios_reservation", "billing_folios", type_="foreignkey")
        op.alter_column("billing_folios", "reservation_id", existing_type=sa.String(26),
                        type_=sa.String(64), existing_nullable=True)
    else:
        for name in TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER {name}")
