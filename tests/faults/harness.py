"""The fault harness: two simulated floors and the cloud's ingest in network namespaces, a fault
at a time, and for each the events produced, stored, duplicated and lost and the taps decided."""

from __future__ import annotations

import functools
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cloud.core.db import make_engine
from cloud.core.migrate import upgrade
from provisioning.broker import CLOUD_USER
from tests.faults import network
from tests.faults.accounting import Row, last_seq, stored, taps_between, unrecorded_between
from tests.faults.relay import Relay
from tests.faults.services import Broker, GatewayProcess, Postgres, Worker
from tests.support.ports import free_port

SITE = "hotel"
FLOORS = ["f1", "f2"]


@dataclass(frozen=True)
class Plan:
    fault_s: float  # how long each fault lasts (loss, latency, disk full, clock)
    partition_s: float  # how long each partition lasts
    settle_s: float = 5.0  # steady load before each fault
    recover_wait_s: float = 180.0  # the most a row waits for everything to be stored
    rate: float = 10.0  # simulated floor steps per second, per floor


def _toml(path: Path, *, floor: str, number: int, url: str, data_dir: Path, rate: float) -> Path:
    rooms = [f"{number}{r:02d}" for r in range(1, 11)]
    path.write_text(
        f'site = "{SITE}"\nfloor = "{floor}"\nrooms = {rooms!r}\nmqtt_url = "{url}"\n'
        f'data_dir = "{data_dir}"\n'
        f"site_number = 1\nfloor_number = {number}\nsim_rate = {rate}\nsim_seed = {number}\n"
        "resend_after_s = 5\nreconnect_min_s = 1\nreconnect_max_s = 5\ntelemetry_interval_s = 2\n"
        "trust_system_clock = true\n"  # as a Pi whose NTP has synchronised: a trusted time is kept
        'log_level = "WARNING"\nmqtt_protocol = "5"\n'.replace("'", '"')
    )
    return path


def _umount(path: Path) -> None:
    """A process just killed may hold the mount a moment longer."""
    for _ in range(20):
        if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode == 0:
            return
        time.sleep(0.5)
    subprocess.run(["umount", "-l", str(path)], check=False)


def _stop(process: GatewayProcess | Worker) -> None:
    try:
        process.stop()
    except subprocess.TimeoutExpired:  # a process that does not stop in time is killed
        process.kill()


class Harness:
    def __init__(self, root: Path, plan: Plan) -> None:
        """Everything up and events flowing; whatever started is stopped again if that fails."""
        self._started: list[Callable[[], None]] = []
        self._heal_thread: threading.Thread | None = None
        self._before: dict[str, int] = {}
        self._healing: list[float | None] = []
        try:
            self._start(root, plan)
        except BaseException:
            self.close()
            raise

    def _start(self, root: Path, plan: Plan) -> None:
        self.root, self.plan = root, plan
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        for segment in (network.FLOOR, network.CLOUD):
            network.create(segment)
            self._started.append(functools.partial(network.remove, segment))
        self.broker = Broker(root / "broker", [(SITE, f) for f in FLOORS])
        self.broker.start()
        self._started.append(self.broker.stop)
        self.floor_relay = Relay(
            listen=(network.FLOOR.host_ip, free_port()), target=("127.0.0.1", self.broker.port)
        )
        self.cloud_relay = Relay(
            listen=(network.CLOUD.host_ip, free_port()), target=("127.0.0.1", self.broker.port)
        )
        self._started += [self.floor_relay.close, self.cloud_relay.close]
        self.pg = Postgres(root / "pg")
        self.pg.start()
        self._started.append(self.pg.remove)
        self.engine = make_engine(self.pg.url)
        self._started.append(self.engine.dispose)
        upgrade(self.engine)
        self._start_processes()
        self._wait_flowing()

    def _start_processes(self) -> None:
        password = self.broker.passwords[CLOUD_USER]
        cloud_url = (
            f"mqtt://{CLOUD_USER}:{password}@{network.CLOUD.host_ip}:{self.cloud_relay.port}?protocol=5"
        )
        self.worker = Worker(network.CLOUD, cloud_url, self.pg.url, self.root / "worker.log")
        self.worker.start()
        self._started.append(lambda: _stop(self.worker))
        self.disk = self.root / "f1-disk"
        self.disk.mkdir(exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(self.disk)], check=True)
        self._started.append(functools.partial(_umount, self.disk))
        self.gateways = {f: self._gateway(f, n) for n, f in enumerate(FLOORS, start=1)}
        for gateway in self.gateways.values():
            gateway.start()
            self._started.append(functools.partial(_stop, gateway))

    def _wait_flowing(self, timeout: float = 180.0) -> None:
        """Until both floors' events reach the cloud's database."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(
                self.database(f).exists()
                and stored(self.engine, site=SITE, floor=f, after=0, upto=10**9).rows
                for f in FLOORS
            ):
                return
            time.sleep(0.5)
        raise RuntimeError(f"events did not flow end to end within {timeout:.0f} s (logs in {self.root})")

    def _gateway(self, floor: str, number: int) -> GatewayProcess:
        data = self.disk if floor == "f1" else self.root / f"{floor}-data"
        data.mkdir(exist_ok=True)
        port = self.floor_relay.port
        url = f"mqtt://gw.{SITE}.{floor}:{self.broker.passwords[f'gw.{SITE}.{floor}']}@{network.FLOOR.host_ip}:{port}"
        config = _toml(
            self.root / f"{floor}.toml",
            floor=floor,
            number=number,
            url=url,
            data_dir=data,
            rate=self.plan.rate,
        )
        taps, unrecorded, log = (
            self.root / f"{floor}-{n}" for n in ("taps.txt", "unrecorded.txt", "gateway.log")
        )
        return GatewayProcess(network.FLOOR, config, taps, unrecorded, log)

    def database(self, floor: str) -> Path:
        data = self.disk if floor == "f1" else self.root / f"{floor}-data"
        return data / f"gateway-{SITE}-{floor}.db"

    def close(self) -> None:
        """Stop what was started, last first."""
        while self._started:
            try:
                self._started.pop()()
            except Exception as exc:  # carry on: the rest must stop too
                print(f"cleanup: {exc!r}")

    # --- one row ----------------------------------------------------------------------------

    def row(self, name: str, fault: Callable[[], None]) -> Row:
        """Steady load, then ``fault`` (which returns once the fault is over), then the count."""
        time.sleep(self.plan.settle_s)
        self._before = before = {f: last_seq(self.database(f)) for f in FLOORS}
        self._healing = []
        began = time.monotonic()
        fault()
        ended = time.monotonic()
        if self._heal_thread is None:
            self.heal()
        after = {f: last_seq(self.database(f)) for f in FLOORS}
        self._recovered(before, after)  # everything produced is in, or the wait is over
        assert self._heal_thread is not None
        self._heal_thread.join(self.plan.recover_wait_s)
        self._heal_thread = None
        counts = [stored(self.engine, site=SITE, floor=f, after=before[f], upto=after[f]) for f in FLOORS]
        produced = sum(after[f] - before[f] for f in FLOORS)
        distinct = sum(c.distinct for c in counts)
        gateways = list(self.gateways.values())
        taps = taps_between([g.taps for g in gateways], start=began, end=ended)
        never = unrecorded_between([g.unrecorded for g in gateways], start=began, end=time.monotonic())
        duplicates = sum(c.rows - c.distinct for c in counts)
        recover_s = self._healing[0] if self._healing else None
        return Row(name, produced, distinct, duplicates, produced - distinct + never, recover_s, taps, never)

    def heal(self) -> None:
        """The disruption is over (link back, process restarted, disk freed): from now, how long
        until every event produced so far is stored."""
        healed_at = time.monotonic()
        upto = {f: last_seq(self.database(f)) for f in FLOORS}

        def watch() -> None:
            done = self._recovered(self._before, upto)
            self._healing.append(done - healed_at if done is not None else None)

        self._heal_thread = threading.Thread(target=watch, daemon=True)
        self._heal_thread.start()

    def _recovered(self, before: dict[str, int], after: dict[str, int]) -> float | None:
        deadline = time.monotonic() + self.plan.recover_wait_s
        while time.monotonic() < deadline:
            done = all(
                stored(self.engine, site=SITE, floor=f, after=before[f], upto=after[f]).distinct
                >= after[f] - before[f]
                for f in FLOORS
            )
            if done:
                return time.monotonic()
            time.sleep(0.25)
        return None
