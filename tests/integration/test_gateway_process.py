"""A gateway process killed with SIGKILL: no recorded event lost, offline on the board, back online."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import pytest

from tests.integration.harness import (
    Wiring,
    gateway_toml,
    running_cloud,
    spawn_gateway,
    stop_process,
    stored_events,
    wait_until,
)

pytestmark = pytest.mark.service
ROOMS = ["101", "102", "103", "104"]


def _store(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "gateway-hotel-f1.db")


def _last_seq(data_dir: Path) -> int:
    with _store(data_dir) as db:
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return int(row[0]) if row else 0


def _pending_ids(data_dir: Path) -> set[str]:
    with _store(data_dir) as db:
        return {r[0] for r in db.execute("SELECT id FROM outbox")}


def _seqs(db_url: str) -> list[int]:
    return [e.seq for e in stored_events(db_url, site="hotel", floor="f1") if e.seq is not None]


def test_a_gateway_killed_mid_publish_loses_no_recorded_event(
        wiring: Wiring, db_url: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    config = gateway_toml(tmp_path / "floor.toml", mqtt_url=wiring.gateway_url, data_dir=data_dir,
                          site="hotel", floor="f1", rooms=ROOMS, sim_rate=300, mqtt_protocol=wiring.protocol)
    process = spawn_gateway(config, tmp_path / "gateway.log")
    try:
        with running_cloud(wiring.settings(db_url)):
            wait_until(lambda: len(_seqs(db_url)) >= 200, what="events flowing to the cloud")
        # The cloud is down: events pile up unconfirmed while the gateway keeps publishing.
        wait_until(lambda: len(_pending_ids(data_dir)) >= 50, what="unconfirmed events")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        recorded, pending = _last_seq(data_dir), _pending_ids(data_dir)
        assert pending and recorded >= 250

        # A new cloud session (or a fresh embedded broker): what a broker queued for the old one
        # is never read, so only the restarted gateway's outbox can bring the unconfirmed events.
        with running_cloud(wiring.settings(db_url)):
            process = spawn_gateway(config, tmp_path / "gateway.log")
            wait_until(lambda: set(range(1, recorded + 1)) <= set(_seqs(db_url)), timeout=60,
                       what=f"every seq up to {recorded} stored")
            wait_until(lambda: not pending & _pending_ids(data_dir), what="the restarted gateway confirmed")
            wait_until(lambda: max(_seqs(db_url)) > recorded + 50, what="new events after the restart")
            process.send_signal(signal.SIGTERM)
            assert process.wait(15) == 0
        seqs = _seqs(db_url)
        assert len(seqs) == len(set(seqs)), "an event was stored twice"
        assert pending <= {e.id for e in stored_events(db_url, site="hotel", floor="f1")}
        assert sorted(seqs) == list(range(1, max(seqs) + 1))
    finally:
        stop_process(process)
