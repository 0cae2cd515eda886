"""``posada demo``: embedded broker, cloud on SQLite, two simulated floors, guests tapping cards."""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

log = logging.getLogger("posada.demo")
SITE = "hotel"
FLOORS = {"f1": [f"1{n:02d}" for n in range(1, 11)], "f2": [f"2{n:02d}" for n in range(1, 11)]}
VERDICT_GRACE_S = 40.0  # after --seconds: how long every floor may still take to show its first events


if TYPE_CHECKING:
    from cloud.services import PosadaApp

@dataclass
class Demo:
    http_port: int
    mqtt_port: int
    data_dir: Path
    started_at: float = field(default_factory=time.monotonic)
    server: Any = None
    server_thread: threading.Thread | None = None
    gateways: list[Any] = field(default_factory=list)
    simulators: list[Any] = field(default_factory=list)
    app: Any = None
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    desk: Any = None

    def start_cloud(self) -> None:
        import uvicorn

        from cloud.app import create_app
        from cloud.settings import Settings

        settings = Settings(database_url=f"sqlite:///{self.data_dir / 'cloud.db'}", mqtt_url=None,
                            embedded_broker_port=self.mqtt_port, http_port=self.http_port,
                            keys_dir=str(self.data_dir / "keys"))
        self.app = create_app(settings)
        self.logins = seed_cloud(self.app)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.http_port, log_level="warning",
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.server_thread = threading.Thread(target=self.server.run, name="cloud-http", daemon=True)
        self.server_thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.server_thread.is_alive():
                raise RuntimeError(f"the cloud did not start on port {self.http_port}")
            time.sleep(0.05)

    def start_floors(self) -> None:
        from edge.app import build
        from edge.config import GatewayConfig
        from posada.demo_desk import DemoFrontDesk

        desk = DemoFrontDesk(self.app, site=SITE)

        for number, (floor, rooms) in enumerate(FLOORS.items(), start=1):
            config = GatewayConfig(
                site=SITE, floor=floor, rooms=rooms, mqtt_url=f"mqtt://127.0.0.1:{self.mqtt_port}",
                mqtt_protocol="3.1.1", data_dir=self.data_dir / f"edge-{floor}",
                site_number=1, floor_number=number, sim_rate=5.0, sim_seed=number,
                trust_system_clock=True,
            )
            gateway, simulator = build(config, issue_card=desk.card_for)
            gateway.start()
            self.gateways.append(gateway)
            if simulator is not None:
                simulator.start()
                self.simulators.append(simulator)

    def start_desk(self) -> None:
        from posada.demo_desk import start_desk_agent

        self.desk, _thread = start_desk_agent(self.app, url=f"http://127.0.0.1:{self.http_port}")

    def events_stored(self) -> dict[str, int]:
        from sqlalchemy import func, select

        from cloud.board.models import EventRecord

        with self.app.services.sessions() as session:
            rows = session.execute(select(EventRecord.floor, func.count())
                                   .where(EventRecord.type.like("access.%")).group_by(EventRecord.floor))
            return {floor: int(n) for floor, n in rows}

    def gateways_online(self) -> dict[str, str]:
        from sqlalchemy import select

        from cloud.board.models import Gateway

        with self.app.services.sessions() as session:
            return {g.floor: g.state for g in session.scalars(select(Gateway))}

    def stop(self) -> None:
        if self.desk is not None:
            self.desk.stop()
        for simulator in self.simulators:
            simulator.stop()
        for gateway in self.gateways:
            gateway.stop()
        if self.server is not None:
            self.server.should_exit = True
        if self.server_thread is not None:
            self.server_thread.join(timeout=15)


def seed_cloud(app: PosadaApp) -> list[tuple[str, str, str]]:
    """The demo property (two floors of ten rooms, rates) and staff (one login per role, fresh
    passwords each start); returns the logins to print."""
    from cloud.auth.demo import seed_demo_staff
    from cloud.setup.demo import seed_demo

    with app.services.sessions.begin() as session:
        seed_demo(session)
    auth = app.services.auth
    with auth.sessionmaker() as session, session.begin():
        logins: list[tuple[str, str, str]] = seed_demo_staff(session, passwords=auth.passwords)
    return logins


DEFAULT_HTTP_PORT, DEFAULT_MQTT_PORT = 8000, 1883


def choose_port(preferred: int) -> int:
    """``preferred`` if nothing listens there, else a free port (a broker already on 1883, say)."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            chosen: int = probe.getsockname()[1]
            if port == 0:
                print(f"port {preferred} is taken; using {chosen} instead", flush=True)
            return chosen
    raise RuntimeError("no free port on 127.0.0.1")


def run_demo(
    *, seconds: float | None, http_port: int | None, mqtt_port: int | None, data_dir: str, fresh: bool
) -> int:
    http_port = http_port or choose_port(DEFAULT_HTTP_PORT)
    mqtt_port = mqtt_port or choose_port(DEFAULT_MQTT_PORT)
    directory = Path(data_dir)
    if fresh and directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True, exist_ok=True)
    demo = Demo(http_port=http_port, mqtt_port=mqtt_port, data_dir=directory)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        # Every thread the demo starts keeps SIGINT/SIGTERM blocked (threads inherit the mask), so
        # the kernel hands them to this thread, whose wait they interrupt; a signal given to
        # another thread would leave the handler waiting on a main thread blocked in stop.wait().
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            demo.start_cloud()
            demo.start_floors()
            demo.start_desk()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        first_event = _wait_first_event(demo, stop)
        _banner(demo, first_event)
        if seconds is None:
            stop.wait()
            return 0
        stop.wait(max(0.0, seconds - (time.monotonic() - demo.started_at)))
        # a loaded machine may start the second floor's traffic late: a bounded grace, not a verdict yet
        grace = time.monotonic() + VERDICT_GRACE_S
        while time.monotonic() < grace and not stop.is_set() \
                and not _flowed(demo.events_stored(), demo.gateways_online()):
            time.sleep(0.2)
        return _verdict(demo)
    finally:
        print("stopping…", flush=True)
        demo.stop()


def _wait_first_event(demo: Demo, stop: threading.Event, timeout: float = 60) -> float | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not stop.is_set():
        if sum(demo.events_stored().values()) > 0:
            return time.monotonic() - demo.started_at
        time.sleep(0.1)
    return None


def _banner(demo: Demo, first_event: float | None) -> None:
    lines = [
        "",
        "Posada demo is running.",
        f"  portal:  http://127.0.0.1:{demo.http_port}/",
        f"  API:     http://127.0.0.1:{demo.http_port}/api/v1  (OpenAPI: /openapi.json, health: /health)",
        f"  broker:  mqtt://127.0.0.1:{demo.mqtt_port} (embedded)",
        f"  floors:  {', '.join(f'{SITE}/{f} ({len(r)} rooms)' for f, r in FLOORS.items())}",
        "  desk:    station desk-1 encodes keycards with the simulated writer "
        "(a stay's page: Keycards, Encode card)",
    ]
    logins = demo.logins
    if logins:
        lines.append("  logins:")
        lines += [f"    {role:<18} {user} / {password}" for user, password, role in logins]
    if first_event is not None:
        lines.append(f"  first event on the board {first_event:.1f} s after start")
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)


def _flowed(stored: dict[str, int], online: dict[str, str]) -> bool:
    return all(stored.get(f, 0) > 0 for f in FLOORS) and all(online.get(f) == "online" for f in FLOORS)


def _verdict(demo: Demo) -> int:
    stored, online = demo.events_stored(), demo.gateways_online()
    ok = _flowed(stored, online)  # judged on the very figures it prints
    print(f"access events stored per floor: {stored}; gateways: {online}; "
          f"{'events flowed end to end' if ok else 'FAILED: events did not flow'}", flush=True)
    return 0 if ok else 1
