"""The ARI sender woken by a notification, outbound credentials per channel, occupancy prices.

- PostgreSQL: a statement trigger on ``channel_changes`` sends ``NOTIFY posada_channels`` when
  marks are written, delivered at the writer's commit (never for a rolled-back change), so the
  sender process wakes at once instead of polling;
- ``channels.credentials_enc``: what we present to the channel (OTA RequestorID and
  MessagePassword, HTTP Basic, a bearer token), sealed under the registry's data keys;
- ``channel_mappings.occupancy_bp``: per number of guests, basis points over the room's price
  (``{"1": -1500}``: a single guest pays 15 % less), sent as one amount per occupancy.

Revision ID: channels_0002
Revises: channels_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "channels_0002"
down_revision = "channels_0001"
branch_labels = None
depends_on = None

CHANNEL = "posada_channels"


def upgrade() -> None:
    op.add_column("channels", sa.Column("credentials_enc", sa.Text(), nullable=True))
    op.add_column("channel_mappings", sa.Column("occupancy_bp", sa.JSON(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION channel_changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER channel_changes_notify AFTER INSERT ON channel_changes "
            "FOR EACH STATEMENT EXECUTE FUNCTION channel_changes_notify()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS channel_changes_notify ON channel_changes")
        op.execute("DROP FUNCTION IF EXISTS channel_changes_notify()")
    # plain ALTER TABLE (SQLite 3.35+ too): a batch copy of ``channels`` would trip the triggers
    # of channels_0001, which read it
    op.execute("ALTER TABLE channel_mappings DROP COLUMN occupancy_bp")
    op.execute("ALTER TABLE channels DROP COLUMN credentials_enc")
