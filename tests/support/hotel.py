"""The whole hotel for browser walks and benchmarks: Mosquitto with the project's ACL, the cloud
served by uvicorn in its own process on a fresh PostgreSQL database (MQTT ingest and commands on),
and a real floor gateway process whose door nodes are the firmware on a simulated RS-485 bus.

The property is the demo's (site ``hotel`` number 1, floor ``f1`` level 1, rooms 101-110), so the
cloud's keycards carry the numbers the gateway checks; the gateway learns the signing key from
the cloud when it comes online, as a real floor does.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select

from cloud.auth.accounts import create_staff, principal_of
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from cloud.auth.settings import AuthSettings
from cloud.board.models import Gateway
from cloud.commands.models import Command
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.reservations.models import StayCredential
from cloud.setup.demo import seed_demo
from edge.hw.qr_scanner_sim import SimulatedScanner
from edge.hw.sim_node import SimulatedBus
from mqtt.envelope import utcnow
from tests.support.broker import Mosquitto, make_broker
from tests.support.pg import fresh_database
from tests.support.ports import free_port, wait_for_port

SITE, FLOOR = "hotel", "f1"
ROOMS = [f"1{n:02d}" for n in range(1, 11)]
NODES = {room: number for number, room in enumerate(ROOMS, start=1)}  # room -> bus address
PATIENT_NODES = {"link_timeout_ms": 10_000, "decision_timeout_ms": 5_000}  # door nodes under a loaded CI
PASSWORD = "correct-horse-battery"
STAFF = {"lucia": (Role.FRONT_DESK, "Lucía Pérez"), "marta": (Role.MANAGER, "Marta Ruiz")}
UNLOCK_S = 1  # a granted door relocks soon, so taps in a row each change the room


@dataclass
class Hotel:
    url: str
    db_url: str
    broker: Mosquitto
    bus: SimulatedBus
    directory: Path
    cloud: subprocess.Popen[bytes]
    gateway: subprocess.Popen[bytes]
    desk_token: str = ""  # a front-desk API token for the desk station's agent
    scanners: dict[str, SimulatedScanner] = field(default_factory=dict)  # phone-key scanners by room

    def tap(self, room: str, card: bytes) -> float:
        """Hold ``card`` to the reader at ``room``'s door; returns the wall-clock time of the tap."""
        at = time.time()
        self.bus.nodes[NODES[room]].tap(card)
        return at

    def card_sent(self, reservation_id: str, room: str) -> bytes | None:
        """The bytes of the newest card the cloud sent to the floor for this stay and room, once
        the gateway has acknowledged the ``credential.upsert`` (None before)."""
        with self._engine() as engine, make_sessionmaker(engine)() as session:
            credential = session.scalars(
                select(StayCredential).where(StayCredential.reservation_id == reservation_id)
                .order_by(StayCredential.issued_at.desc())).first()
            if credential is None:
                return None
            command = session.scalars(select(Command).where(
                Command.type == "credential.upsert",
                Command.data["credential_id"].as_string() == credential.id)).first()
            if command is None or command.acked_at is None:
                return None
            if not command.ack_ok or room not in command.data["rooms"]:
                raise AssertionError(f"the gateway refused the card: {command.ack_error}")
            text = str(command.data["card"])
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    def gateway_online(self) -> bool:
        with self._engine() as engine, make_sessionmaker(engine)() as session:
            gateway = session.get(Gateway, (SITE, FLOOR))
            keys_acked = session.scalars(select(Command).where(
                Command.type == "key.upsert", Command.ack_ok.is_(True))).first()
            return gateway is not None and gateway.state == "online" and keys_acked is not None

    @contextmanager
    def _engine(self) -> Iterator[Engine]:
        engine = make_engine(self.db_url)
        try:
            yield engine
        finally:
            engine.dispose()

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.directory / name
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def seed(db_url: str, *, argon2_memory_kib: int) -> str:
    """The demo property, its rates, and the staff the walks sign in as; returns the API token
    the front desk gave its desk station's agent."""
    engine = make_engine(db_url)
    upgrade(engine)
    passwords = Passwords(AuthSettings(argon2_memory_kib=argon2_memory_kib))
    with make_sessionmaker(engine)() as session, session.begin():
        prop = seed_demo(session)
        staff = {username: create_staff(session, actor="test", passwords=passwords, username=username,
                                        display_name=name, password=PASSWORD, role=role, site=prop.slug)
                 for username, (role, name) in STAFF.items()}
        session.flush()
        token, _ = issue_api_token(session, principal=principal_of(session, staff["lucia"]), name="desk-1",
                                   now=utcnow(), settings=AuthSettings())
    engine.dispose()
    return token


def gateway_toml(directory: Path, *, mqtt_url: str, device: str,
                 scanners: dict[str, str] | None = None) -> Path:
    """A floor with door nodes on a serial bus, checking the cloud's signed keycards offline."""
    nodes = ", ".join(f'"{room}" = {address}' for room, address in NODES.items())
    rooms = ", ".join(f'"{room}"' for room in ROOMS)
    path = directory / "floor.toml"
    path.write_text(
        f'site = "{SITE}"\nfloor = "{FLOOR}"\nrooms = [{rooms}]\nmqtt_url = "{mqtt_url}"\n'
        f'data_dir = "{directory / "edge"}"\nhardware = "pi"\nserial_url = "{device}"\n'
        f"door_nodes = {{ {nodes} }}\naccess = \"keycard\"\nsite_number = 1\nfloor_number = 1\n"
        f"trust_system_clock = true\nunlock_s = {UNLOCK_S}\nreconnect_min_s = 0.5\nreconnect_max_s = 1\n"
        'log_level = "WARNING"\n')
    if scanners:
        table = ", ".join(f'"{room}" = "{port}"' for room, port in scanners.items())
        path.write_text(path.read_text() + f"qr_scanners = {{ {table} }}\n")
    return path


def _spawn(args: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    try:
        return subprocess.Popen(args, env=env, stdout=out, stderr=out)
    finally:
        out.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def cloud_env(db_url: str, broker: Mosquitto, directory: Path) -> dict[str, str]:
    return {
        **os.environ,
        "POSADA_DATABASE_URL": db_url,
        "POSADA_MQTT_URL": broker.cloud_url,
        "POSADA_MQTT_CLIENT_ID": f"cloud-walk-{os.getpid()}-{time.monotonic_ns()}",
        "POSADA_KEYS_DIR": str(directory / "keys"),
        "POSADA_SECRET_KEY": "walk-test-secret-key-0123456789abcdef",
        "POSADA_ARGON2_MEMORY_KIB": "19456",
        "POSADA_ARGON2_TIME_COST": "2",
        "POSADA_ARGON2_PARALLELISM": "1",
        "POSADA_LOG_LEVEL": "WARNING",
    }


def _wait(predicate: object, *, timeout: float, what: str, hotel: Hotel | None = None) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    logs = "" if hotel is None else (f"\n--- cloud.log\n{hotel.log_tail('cloud.log')}"
                                     f"\n--- gateway.log\n{hotel.log_tail('gateway.log')}")
    raise AssertionError(f"{what}: not reached in {timeout}s{logs}")


def _listening(process: subprocess.Popen[bytes], port: int, log: Path, *, timeout: float = 180) -> None:
    """Wait for the cloud's port; a loaded 2-core machine can take a minute to import and start it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = log.read_text(errors="replace")
            raise AssertionError(f"the cloud exited with {process.returncode}:\n{output}")
        try:
            wait_for_port(port, timeout=1)
            return
        except TimeoutError:
            continue
    raise AssertionError(f"the cloud did not listen on port {port} in {timeout}s")


@contextmanager
def running_hotel(*, env: dict[str, str] | None = None,
                  scanner_rooms: tuple[str, ...] = ()) -> Iterator[Hotel]:
    """Start broker, cloud and gateway; yield once the floor is online and holds the signing key.
    ``env`` adds to the cloud's settings; ``scanner_rooms`` get a phone-key scanner at their door."""
    directory = Path(tempfile.mkdtemp(prefix="posada-hotel-"))
    with ExitStack() as stack:
        broker = make_broker(floors=[(SITE, FLOOR)])
        stack.callback(broker.stop)
        db_url = stack.enter_context(fresh_database("posada_walk"))
        cloud = {**cloud_env(db_url, broker, directory), **(env or {})}
        token = seed(db_url, argon2_memory_kib=int(cloud["POSADA_ARGON2_MEMORY_KIB"]))
        port = free_port()
        process = _spawn([sys.executable, "-m", "uvicorn", "cloud.app:create_app", "--factory", "--host",
                          "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                         env=cloud, log=directory / "cloud.log")
        stack.callback(_stop, process)
        # The door nodes wait longer for the gateway than the firmware's defaults (2 s link, 0.5 s
        # decision): on a loaded test machine a late answer would turn a walk's tap into the node's
        # offline fallback. Those deadlines are the latency tests' subject (tests/edge, tests/firmware).
        bus = SimulatedBus(list(NODES.values()), **PATIENT_NODES).start()
        stack.callback(bus.close)
        scanners = {room: SimulatedScanner() for room in scanner_rooms}
        for scanner in scanners.values():
            stack.callback(scanner.close)
        config = gateway_toml(directory, mqtt_url=broker.gateway_url(SITE, FLOOR), device=bus.device,
                              scanners={room: s.device for room, s in scanners.items()})
        gateway = _spawn([sys.executable, "-m", "posada.cli", "edge", "--config", str(config)],
                         env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")}, log=directory / "gateway.log")
        stack.callback(_stop, gateway)
        _listening(process, port, directory / "cloud.log")  # the gateway comes up meanwhile (retained status)
        hotel = Hotel(url=f"http://127.0.0.1:{port}", db_url=db_url, broker=broker, bus=bus,
                      directory=directory, cloud=process, gateway=gateway, desk_token=token,
                      scanners=scanners)
        _wait(hotel.gateway_online, timeout=60, what="the floor online with the signing key", hotel=hotel)
        yield hotel
