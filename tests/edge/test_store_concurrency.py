"""The store's reading connections and handed-off writes: what a door decision uses so that it
never waits for the store's lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge.store import Store
from mqtt.envelope import utcnow
from tests.edge.store_holder import held, within


def _read_meta(store: Store, key: str) -> str | None:
    with store.reading() as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def test_a_read_completes_while_another_thread_holds_the_store_and_sees_only_committed_state(
        tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.db")
    store.set_meta("holder", "before")
    with held(store):  # the holder has written "was here", not committed
        assert within(2.0, lambda: _read_meta(store, "holder")) == "before"
    assert _read_meta(store, "holder") == "was here"
    store.close()


def test_a_reading_connection_refuses_writes(tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.db")
    with pytest.raises(sqlite3.OperationalError), store.reading() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    assert _read_meta(store, "x") is None
    store.close()


def test_a_write_handed_off_while_the_lock_is_free_is_committed_at_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.db")
    store.write_soon(lambda: store.set_meta("k", "v"))
    assert _read_meta(store, "k") == "v"
    store.close()


def test_a_write_handed_off_while_another_thread_holds_the_lock_is_committed_by_that_thread(
        tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.db")
    with held(store):
        within(2.0, lambda: store.write_soon(lambda: store.set_meta("k", "v")))
        assert _read_meta(store, "k") is None
    assert _read_meta(store, "k") == "v"  # in the holder's commit, nothing else ran since
    store.close()


def test_a_handed_off_write_rolled_back_with_its_carrier_goes_in_the_next_transaction(
        tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.db")
    with held(store, roll_back=True):
        within(2.0, lambda: store.write_soon(lambda: store.set_meta("k", "v")))
    assert _read_meta(store, "k") is None and _read_meta(store, "holder") is None
    store.append_event(type="tamper", data={}, room="101", created=utcnow())
    assert _read_meta(store, "k") == "v"
    store.close()


def test_a_failing_handed_off_write_spares_the_transaction_that_carries_it(tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.db")

    def broken() -> None:
        store.database.execute("INSERT INTO no_such_table VALUES (1)")

    with held(store):
        within(2.0, lambda: store.write_soon(broken))
        within(2.0, lambda: store.write_soon(lambda: store.set_meta("k", "v")))
    assert _read_meta(store, "holder") == "was here"
    assert _read_meta(store, "k") is None  # after the failed one, in order: both wait
    store.close()


def test_closing_the_store_writes_what_was_handed_off(tmp_path: Path) -> None:
    store = Store(tmp_path / "gw.db")
    with held(store, roll_back=True):
        within(2.0, lambda: store.write_soon(lambda: store.set_meta("k", "v")))
    store.close()
    again = Store(tmp_path / "gw.db")
    assert again.meta("k") == "v"
    again.close()

