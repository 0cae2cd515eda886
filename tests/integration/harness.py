"""The real gateway and the real cloud in one test: settings, waiting, and what the cloud stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud.app import create_app
from cloud.board.models import EventRecord as Event
from cloud.core.db import make_engine
from cloud.settings import Settings
from edge.app import Gateway, build
from edge.config import GatewayConfig, load_config
from edge.sim import SimulatedDesk
from tests.support.ports import free_port, wait_for_port
from tests.support.staff import sign_in_staff


def wait_until(predicate: Callable[[], object], *, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what}: not reached in {timeout}s")


def cloud_settings(db_url: str, mqtt_url: str | None, *, client_id: str | None = None,
                   **overrides: Any) -> Settings:
    """A cloud worker; ``client_id`` keeps its persistent MQTT session across a restart."""
    client_id = client_id or f"cloud-e2e-{os.getpid()}-{time.monotonic_ns()}"
    return Settings(database_url=db_url, mqtt_url=mqtt_url, mqtt_client_id=client_id, **overrides)


@contextmanager
def running_cloud(settings: Settings) -> Iterator[TestClient]:
    """The cloud app with its lifespan (ingest, confirmations, board) running."""
    with TestClient(create_app(settings)) as client:
        sign_in_staff(client, site="hotel")  # the API answers signed-in staff only
        runtime = client.app.services  # type: ignore[attr-defined]
        wait_until(lambda: runtime.link is not None and runtime.link.connected.is_set(),
                   what="cloud connected to the broker")
        yield client


@contextmanager
def served_cloud(settings: Settings) -> Iterator[httpx.Client]:
    """The cloud behind a real uvicorn server on a free port (for streaming), and a signed-in client."""
    port = free_port()
    app = create_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, name="uvicorn-e2e", daemon=True)
    thread.start()
    try:
        wait_for_port(port, timeout=30)
        token = sign_in_staff(TestClient(app), site="hotel")  # the client only mints the token
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(20)


def gateway_config(mqtt_url: str, data_dir: Path, *, site: str, floor: str,
                   rooms: list[str] | None = None, **overrides: Any) -> GatewayConfig:
    """A simulated floor of signed keycards with short timers, for tests."""
    values: dict[str, Any] = {
        "site": site, "floor": floor, "rooms": rooms or ["101", "102", "103"], "mqtt_url": mqtt_url,
        "data_dir": data_dir, "site_number": 1, "floor_number": 1, "trust_system_clock": True,
        "resend_after_s": 2,
        "reconnect_min_s": 0.5, "reconnect_max_s": 1, "tick_s": 0.2,
    }
    values.update(overrides)
    return load_config(env={}, overrides=values)


@contextmanager
def running_gateway(config: GatewayConfig) -> Iterator[Gateway]:
    gateway, _simulator = build(config)
    gateway.start()
    try:
        yield gateway
    finally:
        gateway.stop()


def give_card(gateway: Gateway, room: str) -> bytes:
    """A keycard for ``room``, signed by a desk whose key the gateway has been given."""
    config = gateway.config
    assert config.site_number is not None and config.floor_number is not None
    desk = SimulatedDesk.load_or_create(gateway.store, site=config.site_number, floor=config.floor_number)
    ack = gateway.command("key.upsert", desk.key_command())
    assert ack is not None and ack.ok, ack
    return desk.issue(room, now=gateway.now())


@dataclass(frozen=True)
class Stored:
    id: str
    room: str | None
    type: str
    seq: int | None
    ts: datetime


def stored_events(db_url: str, *, site: str, floor: str) -> list[Stored]:
    """Every event row the cloud holds for one floor, straight from its database."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Event.id, Event.room, Event.type, Event.seq, Event.ts)
                                .where(Event.site == site, Event.floor == floor)).all()
    finally:
        engine.dispose()
    return [Stored(id=r.id, room=r.room, type=r.type, seq=r.seq, ts=r.ts) for r in rows]


def outbox_size(gateway: Gateway) -> int:
    row = gateway.store.fetch_one("SELECT count(*) FROM outbox", [])
    assert row is not None
    return int(row[0])


def gateway_toml(path: Path, *, mqtt_url: str, data_dir: Path, site: str, floor: str, rooms: list[str],
                 sim_rate: float, mqtt_protocol: str = "5") -> Path:
    """The config file of a gateway process: a simulated floor of signed keycards."""
    path.write_text(
        f'site = "{site}"\nfloor = "{floor}"\nrooms = {rooms!r}\nmqtt_url = "{mqtt_url}"\n'
        f'data_dir = "{data_dir}"\nsite_number = 1\nfloor_number = 1\nsim_rate = {sim_rate}\nsim_seed = 11\n'
        "trust_system_clock = true\nresend_after_s = 2\nreconnect_min_s = 0.5\nreconnect_max_s = 1\n"
        f'log_level = "WARNING"\nmqtt_protocol = "{mqtt_protocol}"\n'.replace("'", '"'))
    return path


def spawn_gateway(config: Path, log: Path) -> subprocess.Popen[bytes]:
    """``posada edge --config FILE`` as its own process, as systemd runs it on a floor."""
    out = log.open("ab")
    return subprocess.Popen([sys.executable, "-m", "posada.cli", "edge", "--config", str(config)],
                            stdout=out, stderr=out, env={"PATH": "/usr/bin:/bin"})


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


class BoardStream:
    """Reads ``/api/v1/board/stream`` on a thread and keeps every (event, data) it delivers."""

    def __init__(self, client: httpx.Client) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._url = f"{client.base_url}/api/v1/board/stream"
        self._headers = dict(client.headers)
        self._closed = threading.Event()
        self._open = threading.Event()
        self._thread = threading.Thread(target=self._read, name="sse-reader", daemon=True)
        self._thread.start()
        if not self._open.wait(10):
            raise AssertionError("the board stream did not open")

    def _read(self) -> None:
        with httpx.stream("GET", self._url, headers=self._headers,
                          timeout=httpx.Timeout(5, read=None)) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            self._open.set()
            kind = ""
            for line in response.iter_lines():
                if self._closed.is_set():
                    return
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    self.messages.append((kind, json.loads(line.removeprefix("data: "))))

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [data for k, data in list(self.messages) if k == kind]

    def close(self) -> None:
        self._closed.set()


@dataclass(frozen=True)
class Wiring:
    """How the cloud and a gateway reach each other: Mosquitto with the ACL, or the embedded broker."""

    name: str
    cloud_url: str | None  # None: the cloud starts the embedded broker on ``embedded_port``
    gateway_url: str
    protocol: str
    embedded_port: int | None = None
    hostile_user: tuple[str, str] | None = None  # username and password for a raw client

    def settings(self, db_url: str, *, client_id: str | None = None) -> Settings:
        if self.embedded_port is not None:
            return cloud_settings(db_url, None, client_id=client_id, embedded_broker_port=self.embedded_port)
        return cloud_settings(db_url, self.cloud_url, client_id=client_id)

    @property
    def port(self) -> int:
        return int(self.gateway_url.rsplit(":", 1)[1])
