"""The operations migrations go down and up again on their own branch, leaving the others alone."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from cloud.core.migrate import alembic_config
from tests.support.db import migrated_engine

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane

OURS = {
    "ops_service_types",
    "ops_service_requests",
    "ops_facilities",
    "ops_facility_bookings",
    "ops_items",
    "ops_store_rooms",
    "ops_suppliers",
    "ops_stock_moves",
    "ops_purchase_orders",
    "ops_purchase_order_lines",
    "housekeeping_tasks",
    "housekeeping_roster",
    "ops_staff_cards",
    "ops_staff_punches",
    "ops_contract_terms",
    "ops_contract_bills",
    "ops_meter_readings",
    "ops_parcels",
    "ops_chat_links",
}


def test_the_operations_branch_goes_down_and_up_again(db_url: str) -> None:
    engine = migrated_engine(db_url)
    try:
        config = alembic_config(engine)
        command.downgrade(config, "operations_0001")
        tables = set(inspect(engine).get_table_names())
        assert tables & OURS == {"ops_service_types", "ops_service_requests"}
        command.downgrade(config, "operations@-1")
        tables = set(inspect(engine).get_table_names())
        assert not tables & OURS and {"reservations", "reports_expenses", "billing_folios"} <= tables
        command.upgrade(config, "heads")
        assert set(inspect(engine).get_table_names()) >= OURS
    finally:
        engine.dispose()


def _add_user(engine: Engine, role: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO property_scopes (site, chain, name, time_zone, currency)"
                " VALUES ('mig', 'c', 'M', 'UTC', 'EUR') ON CONFLICT DO NOTHING"
            )
        )
        conn.execute(
            text(
                "INSERT INTO staff_users (id, username, display_name, password_hash, role, chain, site,"
                " active, failures, created_at) VALUES (:id, :id, 'x', 'x', :role, 'c', 'mig', true, 0,"
                " CURRENT_TIMESTAMP)"
            ),
            {"id": f"u-{role}", "role": role},
        )


def test_the_house_roles_come_and_go_with_their_migration(db_url: str) -> None:
    engine = migrated_engine(db_url)
    try:
        config = alembic_config(engine)
        command.downgrade(config, "operations_0005")
        engine.dispose()  # SQLite: a fresh connection reads the rewritten schema
        with pytest.raises(IntegrityError):
            _add_user(engine, "storekeeper")
        _add_user(engine, "manager")
        command.upgrade(config, "heads")
        engine.dispose()
        _add_user(engine, "storekeeper")
        _add_user(engine, "spa")
        with pytest.raises(IntegrityError):
            _add_user(engine, "cook")
    finally:
        engine.dispose()
