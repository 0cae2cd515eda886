"""The channels branch migrates up and down on its own, triggers included."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from cloud.core.db import make_engine
from cloud.core.migrate import alembic_config, upgrade

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane


def test_the_channels_branch_goes_down_and_up_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        config = alembic_config(engine)
        command.downgrade(config, "channels@-1")  # channels_0003: rooms of a reservation, our price
        columns = {c["name"] for c in inspect(engine).get_columns("channel_reservations")}
        assert not {"room_index", "ours_minor"} & columns
        command.downgrade(config, "channels@-1")  # channels_0002: wakeup, credentials, occupancy
        assert "credentials_enc" not in {c["name"] for c in inspect(engine).get_columns("channels")}
        with engine.begin() as conn:  # the older triggers still mark
            conn.execute(text("UPDATE type_inventory SET sold = sold"))
        command.downgrade(config, "channels@-1")  # channels_0001: the whole area
        assert "channels" not in inspect(engine).get_table_names()
        with engine.begin() as conn:  # the triggers went with their table: inventory writes still work
            conn.execute(text("UPDATE type_inventory SET sold = sold"))
        upgrade(engine)
        assert {"channels", "channel_outbox", "channel_changes"} <= set(inspect(engine).get_table_names())
        assert "occupancy_bp" in {c["name"] for c in inspect(engine).get_columns("channel_mappings")}
        assert "room_index" in {c["name"] for c in inspect(engine).get_columns("channel_reservations")}
    finally:
        engine.dispose()
