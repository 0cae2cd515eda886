"""A revoked gateway is cut off the broker at once: against a real Mosquitto started with what
``posada provision broker`` writes (password listener, dynamic-security plugin), a connected
gateway loses its connection within seconds of ``posada provision revoke --broker`` and cannot
connect again, while the other floors stay connected."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from posada.cli import main as posada
from provisioning.dynsec import find_plugin
from tests.support.broker import MOSQUITTO
from tests.support.ports import free_port, wait_for_port

pytestmark = [pytest.mark.service,
              # in CI (which installs the plugin) a missing plugin fails the test instead
              pytest.mark.skipif(find_plugin() is None and not os.environ.get("CI"),
                                 reason="Mosquitto's dynamic-security plugin")]
CUT_WITHIN_S = 3.0


@dataclass
class Broker:
    directory: Path
    port: int
    passwords: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def start(self, log: Any) -> None:
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(self.directory / "mosquitto.conf")],
                                        stdout=log, stderr=log)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def broker() -> Iterator[Broker]:
    root = Path(tempfile.mkdtemp(prefix="posada-revoke-"))
    root.chmod(0o755)  # Mosquitto started as root reads its files as the mosquitto user
    port = free_port()
    directory = root / "broker"
    assert posada(["provision", "broker", "--out", str(directory), "--floor", "hotel/f1",
                   "--floor", "hotel/f2", "--port", str(port), "--bind", "127.0.0.1"]) == 0
    lines = (directory / "credentials.txt").read_text().split("\n")
    passwords = dict(line.split(" ", 1) for line in lines if line)
    log = (root / "broker.log").open("ab")
    broker = Broker(directory, port, passwords)
    try:
        broker.start(log)
        yield broker
    finally:
        broker.stop()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


class Gateway:
    """A connected client that records when it was disconnected and whether it got back in."""

    def __init__(self, broker: Broker, user: str) -> None:
        self.up = threading.Event()
        self.cut = threading.Event()
        self.back = threading.Event()
        self.cut_at = 0.0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{user}-test")
        self.client.username_pw_set(user, broker.passwords[user])
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.client.connect("127.0.0.1", broker.port, keepalive=60)
        self.client.loop_start()
        assert self.up.wait(5)

    def _connected(self, _c: object, _u: object, _f: object, reason: ReasonCode, _p: object) -> None:
        if not reason.is_failure:
            (self.back if self.cut.is_set() else self.up).set()

    def _disconnected(self, *_args: object) -> None:
        if not self.cut.is_set():
            self.cut_at = time.monotonic()
            self.cut.set()

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def _refused(broker: Broker, user: str) -> bool:
    result = subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-u", user,
                             "-P", broker.passwords[user], "-t", "posada/v1/hotel/f1/status", "-m", "x",
                             "-q", "1"],
                            capture_output=True, timeout=10, check=False)
    return result.returncode != 0


def test_a_revoked_gateway_is_disconnected_and_cannot_return(broker: Broker) -> None:
    revoked, kept = Gateway(broker, "gw.hotel.f1"), Gateway(broker, "gw.hotel.f2")
    try:
        start = time.monotonic()
        assert posada(["provision", "revoke", "--floor", "hotel/f1", "--broker", str(broker.directory)]) == 0
        assert revoked.cut.wait(CUT_WITHIN_S), "the revoked gateway is still connected"
        print(f"\n[revocation] cut {revoked.cut_at - start:.2f} s after revoke began")
        assert not revoked.back.wait(3.0)  # it retries every second and is refused
        assert not kept.cut.is_set() and kept.client.is_connected()
        assert _refused(broker, "gw.hotel.f1")
        assert not _refused(broker, "gw.hotel.f2")
    finally:
        revoked.stop()
        kept.stop()


def test_revocation_outlives_a_broker_restart_and_a_second_provisioning(broker: Broker) -> None:
    """The plugin keeps its clients in its file; provisioning again keeps that file and its admin."""
    assert posada(["provision", "revoke", "--floor", "hotel/f2", "--broker", str(broker.directory)]) == 0
    assert _refused(broker, "gw.hotel.f2")
    saved = (broker.directory / "dynamic-security.json").read_text()
    assert "gw.hotel.f2" in saved  # the plugin saved it
    broker.stop()
    with (broker.directory.parent / "broker.log").open("ab") as log:
        broker.start(log)
    assert _refused(broker, "gw.hotel.f2") and not _refused(broker, "gw.hotel.f1")  # read again at start
    assert posada(["provision", "broker", "--out", str(broker.directory), "--floor", "hotel/f1", "--floor",
                   "hotel/f2", "--port", str(broker.port), "--bind", "127.0.0.1"]) == 0
    assert "gw.hotel.f2" in (broker.directory / "dynamic-security.json").read_text()
    # the same admin still reaches the running broker
    assert posada(["provision", "revoke", "--floor", "hotel/f2", "--broker", str(broker.directory)]) == 0
