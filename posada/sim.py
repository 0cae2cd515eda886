"""``posada sim``: a chain's day of floor traffic, measured where the cloud would receive it.

H hotels x F floors of R rooms: one real gateway per floor (``edge.app.build``: outbox, relay,
room state, telemetry), each with its simulated people (``edge.sim.FloorSimulator``) stepping at
the rate of the hour (``posada.sim_day``) and its simulated room sensors, all against a real
Mosquitto with the project's own configuration and ACL (one account per floor). A counter
subscribed as the cloud counts what arrives: events (each by its id, whether single or in an
``events.batch``) and telemetry messages, per room, floor, hotel and chain. The cloud's own
ingest worker stores the events (SQLite in the scratch folder, or ``--database-url``) and
confirms them, so the gateways behave as in production: outboxes drain, and telemetry, which
yields to a floor's unconfirmed events, flows.

``--speed`` runs the simulated day faster (60: an hour a minute); the rates printed are of
wall-clock seconds at that speed, and divided by it, of a real day.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posada.sim_day import DayProfile

log = logging.getLogger("posada.sim")
MAX_FLOORS = 200  # gateways in one process: each holds a few threads and an SQLite store
CLOUD_PASSWORD_BYTES = 18


@dataclass(frozen=True)
class ChainShape:
    hotels: int
    floors: int
    rooms: int

    def __post_init__(self) -> None:
        if not (1 <= self.hotels <= 100 and 1 <= self.floors <= 50 and 1 <= self.rooms <= 99):
            raise ValueError("--hotels 1..100, --floors 1..50, --rooms 1..99 (per floor)")
        if self.hotels * self.floors > MAX_FLOORS:
            raise ValueError(f"at most {MAX_FLOORS} floors (gateways) in one simulation; "
                             f"{self.hotels} x {self.floors} asked")

    def sites(self) -> list[str]:
        return [f"h{h:03d}" for h in range(1, self.hotels + 1)]

    def floor_slugs(self) -> list[str]:
        return [f"f{f:02d}" for f in range(1, self.floors + 1)]

    def room_numbers(self, floor: int) -> list[str]:
        return [str(floor * 100 + n) for n in range(1, self.rooms + 1)]


@dataclass
class Tally:
    """What reached the broker for the cloud, counted once per event id."""

    seen: set[str] = field(default_factory=set)
    events: Counter[tuple[str, str]] = field(default_factory=Counter)  # (site, floor) -> events
    telemetry: Counter[tuple[str, str]] = field(default_factory=Counter)
    messages: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_message(self, topic: str, payload: bytes) -> None:
        parts = topic.split("/")  # posada/v1/{site}/{floor}/...
        if len(parts) < 5:
            return
        where = (parts[2], parts[3])
        with self.lock:
            self.messages += 1
            if parts[-1] == "telemetry":
                self.telemetry[where] += 1
            elif parts[-1] == "events":
                for event_id in _event_ids(payload):
                    if event_id not in self.seen:
                        self.seen.add(event_id)
                        self.events[where] += 1

    def snapshot(self) -> tuple[int, int, int]:
        with self.lock:
            return sum(self.events.values()), sum(self.telemetry.values()), self.messages


def _event_ids(payload: bytes) -> list[str]:
    try:
        body: Any = json.loads(payload)
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    if body.get("type") == "events.batch":
        items = (body.get("data") or {}).get("events") or []
        return [str(item["id"]) for item in items if isinstance(item, dict) and "id" in item]
    return [str(body["id"])] if "id" in body else []


@dataclass
class ChainSim:
    shape: ChainShape
    speed: float
    start_hour: float
    data_dir: Path
    telemetry_interval_s: float = 10.0
    broker_dir: Path | None = None
    broker: subprocess.Popen[bytes] | None = None
    port: int = 0
    gateways: list[Any] = field(default_factory=list)
    simulators: list[tuple[Any, DayProfile]] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    counter: Any = None
    database_url: str | None = None
    ingest: Any = None
    ingest_link: Any = None
    started: float = 0.0
    steps_due: float = 0.0  # what the profile asked of every floor so far
    _followed: float = 0.0

    def start(self) -> None:
        self._start_broker()
        self._start_counter()
        self._start_ingest()
        self._start_floors()
        self.started = self._followed = time.monotonic()

    def _start_ingest(self) -> None:
        from cloud.core.db import make_engine
        from cloud.core.migrate import upgrade
        from cloud.ingest.link import CloudLink
        from cloud.ingest.service import IngestService
        from cloud.ingest.store import IngestStore
        from provisioning.broker import CLOUD_USER

        url = self.database_url or f"sqlite:///{self.data_dir / 'cloud.db'}"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(url)
        upgrade(self.engine)
        self.ingest_link = CloudLink(self._url(CLOUD_USER), client_id="posada-sim-ingest")
        self.ingest = IngestService(self.ingest_link, IngestStore(self.engine))
        self.ingest.start()
        self.ingest_link.start()
        if not self.ingest_link.connected.wait(30):
            raise RuntimeError("the cloud's ingest could not connect to the simulation's broker")

    def _start_broker(self) -> None:
        import secrets

        from provisioning.broker import CLOUD_USER, Account, gateway_user, write_broker_files

        floors = [(s, f) for s in self.shape.sites() for f in self.shape.floor_slugs()]
        self.passwords = {CLOUD_USER: secrets.token_urlsafe(CLOUD_PASSWORD_BYTES)}
        self.passwords.update({gateway_user(s, f): secrets.token_urlsafe(CLOUD_PASSWORD_BYTES)
                               for s, f in floors})
        self.port = _free_port()
        self.broker_dir = Path(tempfile.mkdtemp(prefix="posada-sim-broker-"))
        conf = write_broker_files(self.broker_dir, floors=floors, port=self.port, persistence=False,
                                  accounts=[Account(u, p) for u, p in self.passwords.items()])
        mosquitto = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(mosquitto).exists():
            raise RuntimeError("posada sim runs a Mosquitto of its own: install Debian's mosquitto")
        log_file = (self.broker_dir / "broker.log").open("ab")
        self.broker = subprocess.Popen([mosquitto, "-c", str(conf)], stdout=log_file, stderr=log_file)
        _wait_port(self.port)

    def _url(self, user: str) -> str:
        return f"mqtt://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"

    def _start_counter(self) -> None:
        import paho.mqtt.client as paho
        from paho.mqtt.enums import CallbackAPIVersion

        from mqtt.topics import subscriptions_for_cloud
        from provisioning.broker import CLOUD_USER

        client = paho.Client(CallbackAPIVersion.VERSION2, client_id="posada-sim-counter",
                             protocol=paho.MQTTv311)
        client.username_pw_set(CLOUD_USER, self.passwords[CLOUD_USER])
        ready = threading.Event()

        def on_connect(c: Any, _u: Any, _f: Any, _rc: Any, _p: Any = None) -> None:
            for topic in subscriptions_for_cloud():
                c.subscribe(topic, qos=1)
            ready.set()

        client.on_connect = on_connect
        client.on_message = lambda _c, _u, msg: self.tally.on_message(msg.topic, bytes(msg.payload))
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        if not ready.wait(10):
            raise RuntimeError("the counter could not subscribe at the simulation's broker")
        self.counter = client

    def _start_floors(self) -> None:
        from edge.app import build
        from edge.config import GatewayConfig
        from provisioning.broker import gateway_user

        interval = max(0.05, self.telemetry_interval_s / self.speed)
        for h, site in enumerate(self.shape.sites(), start=1):
            for f, floor in enumerate(self.shape.floor_slugs(), start=1):
                config = GatewayConfig(
                    site=site, floor=floor, rooms=self.shape.room_numbers(f),
                    mqtt_url=self._url(gateway_user(site, floor)), mqtt_protocol="3.1.1",
                    data_dir=self.data_dir / site / floor, site_number=h, floor_number=f,
                    sim_rate=1.0, sim_seed=h * 100 + f, trust_system_clock=True,
                    telemetry_interval_s=interval,
                    telemetry_max_interval_s=max(interval, 300.0 / self.speed),
                )
                gateway, simulator = build(config)
                gateway.start()
                self.gateways.append(gateway)
                if simulator is not None:
                    profile = DayProfile(rooms=self.shape.rooms, speed=self.speed)
                    simulator.rate = profile.steps_per_second(self.start_hour)
                    simulator.start()
                    self.simulators.append((simulator, profile))

    def hour(self) -> float:
        profile = DayProfile(rooms=self.shape.rooms, speed=self.speed)
        return profile.hour_at(time.monotonic() - self.started, start_hour=self.start_hour)

    def follow_the_day(self) -> float:
        """Set every floor's rate to the current simulated hour's; returns the hour."""
        hour, now = self.hour(), time.monotonic()
        for simulator, profile in self.simulators:
            self.steps_due += simulator.rate * (now - self._followed)
            simulator.rate = profile.steps_per_second(hour)
        self._followed = now
        return hour

    def steps_taken(self) -> int:
        return sum(simulator.actions for simulator, _profile in self.simulators)

    def stop(self) -> None:
        for simulator, _profile in self.simulators:
            simulator.stop()
        for gateway in self.gateways:
            gateway.stop()
        if self.ingest_link is not None:
            self.ingest_link.stop()
            self.ingest.stop()
            self.engine.dispose()
        if self.counter is not None:
            self.counter.loop_stop()
            self.counter.disconnect()
        if self.broker is not None and self.broker.poll() is None:
            self.broker.terminate()
            self.broker.wait(10)
        if self.broker_dir is not None:
            shutil.rmtree(self.broker_dir, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the simulation's broker did not listen on port {port}")


def report(sim: ChainSim, elapsed_s: float) -> str:
    """Rates per room, floor, hotel and chain: wall-clock at the run's speed, and a real day's."""
    shape = sim.shape
    events, telemetry, messages = sim.tally.snapshot()
    rooms = shape.hotels * shape.floors * shape.rooms
    stored = sim.ingest.counters.stored if sim.ingest is not None else 0
    lines = [f"simulated {elapsed_s * sim.speed / 3600:.1f} h of a day in {elapsed_s:.0f} s "
             f"(speed {sim.speed:g}): {events} events ({stored} stored by the cloud's ingest), "
             f"{telemetry} telemetry messages, {messages} MQTT messages at the broker",
             f"{'scope':<8} {'rooms':>7} {'events/s':>10} {'telemetry/s':>12} "
             f"{'events/s real day':>18} {'telemetry/s real day':>21}"]
    for scope, count in (("room", 1), ("floor", shape.rooms), ("hotel", shape.floors * shape.rooms),
                         ("chain", rooms)):
        ev = events / elapsed_s * count / rooms
        te = telemetry / elapsed_s * count / rooms
        lines.append(f"{scope:<8} {count:>7} {ev:>10.3f} {te:>12.3f} {ev / sim.speed:>18.4f} "
                     f"{te / sim.speed:>21.4f}")
    due, taken = sim.steps_due, sim.steps_taken()
    kept_up = "" if taken >= 0.9 * due else "  (the simulation fell behind: this machine is too busy for it)"
    lines.append(f"steps of the simulated people: {taken} taken, {due:.0f} due{kept_up}")
    lines.append(f"events per room per simulated day, at this run's mix of hours: "
                 f"{events / rooms / max(elapsed_s * sim.speed / 86_400, 1e-9):.0f}")
    return "\n".join(lines)


def run_sim(*, hotels: int, floors: int, rooms: int, speed: float, seconds: float, start_hour: float,
            data_dir: str | None, database_url: str | None = None, every_s: float = 10.0) -> int:
    shape = ChainShape(hotels, floors, rooms)
    scratch = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="posada-sim-"))
    sim = ChainSim(shape=shape, speed=speed, start_hour=start_hour, data_dir=scratch,
                   database_url=database_url)
    print(f"posada sim: {hotels} hotel(s) x {floors} floor(s) x {rooms} rooms = "
          f"{hotels * floors * rooms} rooms, {hotels * floors} gateways; speed {speed:g}; "
          f"starting at {start_hour:05.2f} h", flush=True)
    try:
        sim.start()
        deadline = sim.started + seconds
        last = 0
        while (now := time.monotonic()) < deadline:
            hour = sim.follow_the_day()
            time.sleep(min(1.0, deadline - now))
            if int((time.monotonic() - sim.started) // every_s) > last:
                last += 1
                events, telemetry, _ = sim.tally.snapshot()
                print(f"  {time.monotonic() - sim.started:6.0f} s  simulated {hour:05.2f} h  "
                      f"events {events}  telemetry {telemetry}", flush=True)
        print(report(sim, time.monotonic() - sim.started), flush=True)
    except KeyboardInterrupt:
        print(report(sim, time.monotonic() - sim.started), flush=True)
    finally:
        sim.stop()
        if not data_dir:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0
