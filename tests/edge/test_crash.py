"""A gateway process killed with SIGKILL loses no recorded event; its last will says offline."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.edge.cloud_peer import CloudPeer, wait_until
from tests.support.broker import Mosquitto

pytestmark = pytest.mark.service


def _config(broker: Mosquitto, tmp_path: Path) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(
        'site = "hotel"\nfloor = "f1"\nrooms = ["101", "102", "103", "104"]\n'
        f'mqtt_url = "{broker.gateway_url("hotel", "f1")}"\ndata_dir = "{tmp_path / "data"}"\n'
        "sim_rate = 300\nsim_seed = 7\nsite_number = 1\nfloor_number = 1\ntrust_system_clock = true\n"
        "reconnect_min_s = 1\nreconnect_max_s = 1\n"
    )
    return path


def _spawn(config: Path, tmp_path: Path) -> subprocess.Popen[bytes]:
    log = (tmp_path / "gateway.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "edge.app", "--config", str(config)],
                            stdout=log, stderr=log, env={"PATH": "/usr/bin:/bin"})


def _last_seq(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "data" / "gateway-hotel-f1.db") as db:
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return int(row[0]) if row else 0


def _pending(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "data" / "gateway-hotel-f1.db") as db:
        return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])


def test_sigkill_mid_publish_loses_no_recorded_event(own_mosquitto: Mosquitto, tmp_path: Path) -> None:
    peer = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1")
    config = _config(own_mosquitto, tmp_path)
    process = _spawn(config, tmp_path)
    try:
        wait_until(lambda: peer.last_status() == "online", what="gateway online")
        wait_until(lambda: len(peer.first_seqs()) >= 300, what="events flowing")
        peer.confirm = False  # the cloud falls behind: unconfirmed events pile up in the outbox
        wait_until(lambda: _pending(tmp_path) >= 20, what="unconfirmed events")
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        recorded_before_kill = _last_seq(tmp_path)
        wait_until(lambda: peer.last_status() == "offline", what="last will")
        assert peer.statuses[-1]["source"] == "gw.hotel.f1"
        late = CloudPeer(own_mosquitto.cloud_url, site="hotel", floor="f1", confirm=False)
        wait_until(lambda: late.last_status() == "offline", what="the will, retained")
        late.close()
        unconfirmed = _pending(tmp_path)
        assert unconfirmed > 0, "the kill should catch events not yet confirmed"

        peer.confirm = True
        process = _spawn(config, tmp_path)
        wait_until(lambda: peer.last_status() == "online", what="gateway back online")
        target = max(recorded_before_kill, _last_seq(tmp_path))
        wait_until(lambda: set(range(1, target + 1)) <= set(peer.first_seqs()), timeout=30,
                   what=f"every seq up to {target}")
        assert sorted(set(peer.first_seqs())) == list(range(1, max(peer.first_seqs()) + 1))

        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        wait_until(lambda: peer.last_status() == "offline", what="offline on clean stop")
    finally:
        if process.poll() is None:
            process.kill()
        peer.close()
