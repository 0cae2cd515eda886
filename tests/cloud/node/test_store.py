"""The cloud's record of a node's events on a migrated database: stored once, replayed once,
conflicts listed for staff; a second delivery and a second replay change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from cloud.core.db import make_sessionmaker
from cloud.node.models import NodeEvent as EventRow
from cloud.node.models import NodeOutcome
from cloud.node.replay import replay
from cloud.node.store import SqlLedger, findings_for_staff, store_events, unreplayed
from tests.cloud.node.test_replay import _outage

NOW = datetime(2026, 12, 4, 8, tzinfo=UTC)


def _deliver_and_replay(engine: Engine, cloud, events) -> None:  # type: ignore[no-untyped-def]
    with make_sessionmaker(engine).begin() as session:
        store_events(session, site="hotel", node="desk-pc", events=events, now=NOW)
        ledger = SqlLedger(session, site="hotel", now=NOW)
        todo = unreplayed(session, site="hotel", node="desk-pc", after_seq=ledger.last_seq("desk-pc"))
        replay(todo, node="desk-pc", view=cloud, desk=cloud, ledger=ledger)


def test_events_are_stored_and_replayed_once_and_conflicts_listed(sqlite_only: Engine) -> None:
    cloud, events = _outage()
    _deliver_and_replay(sqlite_only, cloud, events[:6])
    _deliver_and_replay(sqlite_only, cloud, events)  # a redelivery with the rest
    applied = list(cloud.applied)
    _deliver_and_replay(sqlite_only, cloud, events)  # a second reconnect
    assert cloud.applied == applied
    with make_sessionmaker(sqlite_only)() as session:
        assert session.scalar(select(func.count()).select_from(EventRow)) == len(events)
        assert session.scalar(select(func.count()).select_from(NodeOutcome)) == len(events)
        listed = findings_for_staff(session, site="hotel")
        rules = [f["rule"] for row in listed for f in row.findings]
        assert rules == ["cancelled_online", "held", "room_sold_twice", "held"]
        assert SqlLedger(session, site="hotel", now=NOW).held("desk-pc") == {"b2", "w1"}


def test_the_node_migration_goes_down_and_up_again(sqlite_only: Engine) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from cloud.core.migrate import alembic_config

    config = alembic_config(sqlite_only)
    command.downgrade(config, "node_0002")
    assert not {"node_replicas", "node_card_keys"} & set(inspect(sqlite_only).get_table_names())
    command.downgrade(config, "node_0001")
    assert "node_events" not in inspect(sqlite_only).get_table_names()
    command.upgrade(config, "heads")
    tables = set(inspect(sqlite_only).get_table_names())
    assert {"node_events", "node_outcomes", "node_replicas", "node_card_keys"} <= tables


def test_the_replica_and_key_migrations_go_down_and_up_on_postgresql(pg_url: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from cloud.core.db import make_engine
    from cloud.core.migrate import alembic_config

    engine = make_engine(pg_url)
    try:
        config = alembic_config(engine)
        command.downgrade(config, "node_0002")
        assert not {"node_replicas", "node_card_keys"} & set(inspect(engine).get_table_names())
        command.upgrade(config, "heads")
        assert {"node_replicas", "node_card_keys"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
