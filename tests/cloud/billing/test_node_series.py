"""Invoice series reserved for property nodes: the node numbers them, the cloud records the
node's numbers in order, exactly once, and never numbers in them itself."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from cloud.billing.errors import BillingConflict
from cloud.billing.invoicing import next_number
from cloud.billing.node_series import (
    NodeSeriesGap,
    node_series_name,
    reserve_node_series,
    series_gaps,
    take_node_number,
)
from cloud.core.db import make_sessionmaker

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _reserve(engine: Engine, node: str = "desk-pc") -> str:
    with make_sessionmaker(engine).begin() as session:
        return reserve_node_series(session, site="centro", node=node, base="INV", now=NOW)


def test_reservation_is_idempotent_and_one_series_per_node(engine: Engine) -> None:
    series = _reserve(engine)
    assert series == "INV-N-DESK-PC"
    assert _reserve(engine) == series
    assert _reserve(engine, "back-office") == "INV-N-BACK-OFFICE"


def test_node_numbers_are_taken_in_order_once_and_without_gaps(engine: Engine) -> None:
    series = _reserve(engine)
    with make_sessionmaker(engine).begin() as session:
        assert take_node_number(session, series=series, node="desk-pc", number=1)
        assert take_node_number(session, series=series, node="desk-pc", number=2)
        assert not take_node_number(session, series=series, node="desk-pc", number=1)  # replay
        with pytest.raises(NodeSeriesGap):
            take_node_number(session, series=series, node="desk-pc", number=4)


def test_only_the_reserving_node_numbers_its_series(engine: Engine) -> None:
    series = _reserve(engine)
    with make_sessionmaker(engine).begin() as session, pytest.raises(BillingConflict):
        take_node_number(session, series=series, node="other", number=1)


def test_cloud_never_numbers_in_a_node_series(engine: Engine) -> None:
    series = _reserve(engine)
    with make_sessionmaker(engine).begin() as session:
        assert next_number(session, "INV") == 1  # the cloud's own series goes on
        with pytest.raises(BillingConflict, match="reserved for a property node"):
            next_number(session, series)


def test_a_series_the_cloud_already_uses_cannot_be_reserved(sqlite_only: Engine) -> None:
    with make_sessionmaker(sqlite_only).begin() as session:
        next_number(session, "INV-N-DESK-PC")
    with make_sessionmaker(sqlite_only).begin() as session, pytest.raises(BillingConflict):
        reserve_node_series(session, site="centro", node="desk-pc", base="INV", now=NOW)


@pytest.mark.unit
@pytest.mark.parametrize("node", ["x" * 40, "desk pc"])
def test_series_name_out_of_rules_is_refused(node: str) -> None:
    with pytest.raises(BillingConflict):
        node_series_name(base="INV", node=node)


def test_gaps_are_reported(sqlite_only: Engine) -> None:
    series = _reserve(sqlite_only)
    with make_sessionmaker(sqlite_only).begin() as session:
        take_node_number(session, series=series, node="desk-pc", number=1)
        assert series_gaps(session, series) == [1]  # numbered but no invoice recorded yet


def test_node_series_migration_goes_down_and_up_again(sqlite_only: Engine) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from cloud.core.migrate import alembic_config

    config = alembic_config(sqlite_only)
    command.downgrade(config, "billing_0003")
    assert "billing_node_series" not in inspect(sqlite_only).get_table_names()
    command.upgrade(config, "heads")
    assert "billing_node_series" in inspect(sqlite_only).get_table_names()
