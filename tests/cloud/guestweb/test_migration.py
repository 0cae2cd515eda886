"""The guest pages' later migrations go down and up again on their own."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect

from cloud.core.db import make_engine
from cloud.core.migrate import alembic_config, upgrade

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane

LATER = {"guestweb_rate_counts", "guestweb_booking_extras", "guestweb_booked_extras"}


def _address_width(engine: Engine) -> int:
    (column,) = [c for c in inspect(engine).get_columns("notify_contacts") if c["name"] == "address"]
    return int(column["type"].length)


def test_the_shared_counts_and_the_extras_go_down_and_up_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        command.downgrade(alembic_config(engine), "guestweb_0001")
        tables = set(inspect(engine).get_table_names())
        assert not LATER & tables and {"guestweb_holds", "ops_service_types"} <= tables
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= LATER
    finally:
        engine.dispose()
