"""The real processes of a fault run: Mosquitto, a throwaway PostgreSQL, the cloud's ingest worker
and the floor gateways, each started, killed and restarted on demand."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from provisioning.broker import CLOUD_USER, Account, gateway_user, write_broker_files
from tests.faults.network import Segment
from tests.support.broker import MOSQUITTO
from tests.support.ports import free_port, wait_for_port
from tests.support.scratch_pg import _bindir

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"


def _log(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)


@dataclass
class Broker:
    directory: Path
    floors: list[tuple[str, str]]
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o755)
        self.passwords = {CLOUD_USER: "cloud-pw", **{gateway_user(s, f): f"pw-{f}" for s, f in self.floors}}
        write_broker_files(
            self.directory,
            floors=self.floors,
            port=self.port,
            bind="127.0.0.1",
            accounts=[Account(u, p) for u, p in self.passwords.items()],
        )

    def start(self) -> None:
        log = _log(self.directory / "broker.log")
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.directory / "mosquitto.conf")], stdout=log, stderr=log
        )
        os.close(log)
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)


@dataclass
class Postgres:
    """A cluster of its own, reached over a Unix socket (namespaces share the file system)."""

    directory: Path
    port: int = 5432  # names the socket file only: no TCP listener

    def __post_init__(self) -> None:
        self.user = pwd.getpwnam("postgres")
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chown(self.directory, self.user.pw_uid, self.user.pw_gid)
        self._run(
            [
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ]
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = ''\nunix_socket_directories = '{self.directory}'\n"
                f"port = {self.port}\nmax_connections = 100\n"
            )

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@/postgres?host={self.directory}&port={self.port}"

    def _run(self, command: list[str]) -> None:
        binary = str(_bindir() / command[0])
        done = subprocess.run(
            [binary, *command[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            cwd="/",
            user=self.user.pw_uid,
            group=self.user.pw_gid,
            extra_groups=[],
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        self._run(["pg_ctl", "-D", str(self.data), "-l", str(self.directory / "server.log"), "-w", "start"])

    def stop(self, mode: str = "fast") -> None:
        self._run(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"])

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class Worker:
    """The cloud's ingest worker (``tests.bench.ingest_worker``: the cloud's own link, service and
    store) in the cloud namespace, with a fixed client id so its broker session outlives it."""

    segment: Segment
    mqtt_url: str
    database_url: str
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = _log(self.log)
        self.process = subprocess.Popen(
            [
                *self.segment.exec_prefix(),
                sys.executable,
                "-m",
                "tests.bench.ingest_worker",
                self.mqtt_url,
                self.database_url,
                "posada-cloud-faults",
            ],
            stdout=out,
            stderr=out,
            env=_env(),
        )
        os.close(out)

    def kill(self) -> None:
        _signal(self.process, signal.SIGKILL)

    def stop(self) -> None:
        _signal(self.process, signal.SIGTERM)


@dataclass
class GatewayProcess:
    """``posada edge`` for one floor, in the floor namespace, with its taps timed."""

    segment: Segment
    config: Path
    taps: Path
    unrecorded: Path
    log: Path
    clock_offset: str | None = None  # libfaketime's FAKETIME, e.g. "-1d"
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = _env()
        if self.clock_offset:
            env |= {
                "LD_PRELOAD": FAKETIME_LIB,
                "FAKETIME": self.clock_offset,
                "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                # libfaketime 0.9.10 runs its "forced monotonic fix" check at every condition
                # variable a new thread makes: 70-175 ms of CPU per thread started, so every tap
                # whose door relocks on a timer thread took that long (the row's p99 of 400-650 ms)
                "FAKETIME_FORCE_MONOTONIC_FIX": "0",
            }
        out = _log(self.log)
        self.process = subprocess.Popen(
            [
                *self.segment.exec_prefix(),
                "env",
                *[f"{k}={v}" for k, v in env.items()],
                sys.executable,
                "-m",
                "tests.faults.gateway_proc",
                str(self.config),
                str(self.taps),
                str(self.unrecorded),
            ],
            stdout=out,
            stderr=out,
        )
        os.close(out)

    def kill(self) -> None:
        _signal(self.process, signal.SIGKILL)

    def stop(self) -> None:
        _signal(self.process, signal.SIGTERM)


def _env() -> dict[str, str]:
    keep = ("PATH", "PYTHONPATH", "HOME", "LANG")
    return {k: os.environ[k] for k in keep if k in os.environ}


def _signal(process: subprocess.Popen[bytes] | None, signum: int) -> None:
    """``ip netns exec`` execs its command, so the process is the worker or gateway itself."""
    if process is not None and process.poll() is None:
        process.send_signal(signum)
        process.wait(30)
