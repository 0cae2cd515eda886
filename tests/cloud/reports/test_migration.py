"""The reports' later revisions (day sums, dimension sums and their triggers, the channels' commission
rate, the booking engine's mark) go down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text

from cloud.core.db import make_engine
from cloud.core.migrate import alembic_config, upgrade

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane


def test_the_reports_revisions_go_down_and_up_again(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine)
        command.downgrade(alembic_config(engine), "reports_0002")
        names = set(inspect(engine).get_table_names())
        assert not names & {"reports_night_sums", "reports_charge_days", "reports_payment_days",
                            "reports_dim_sums", "reports_dim_marks", "reports_dims_dirty"}
        assert "commission_bp" not in {c["name"] for c in inspect(engine).get_columns("channels")}
        assert "booked_online" not in {c["name"] for c in inspect(engine).get_columns("guestweb_holds")}
        with engine.begin() as conn:  # the triggers went with their tables: the desk's writes still work
            conn.execute(text("UPDATE reservations SET status = status"))
            conn.execute(text("UPDATE guests SET tier = tier"))
            conn.execute(text("DELETE FROM reservation_nights"))
        if engine.dialect.name == "postgresql":  # and their functions and the deferred refresh's
            with engine.connect() as conn:
                assert not conn.execute(text(
                    "SELECT proname FROM pg_proc WHERE proname LIKE 'reports_dims%'")).all()
        upgrade(engine)
        assert {"reports_night_sums", "reports_charge_days", "reports_payment_days",
                "reports_dim_sums"} <= set(inspect(engine).get_table_names())
        assert "commission_bp" in {c["name"] for c in inspect(engine).get_columns("channels")}
    finally:
        engine.dispose()
