"""The web API as users reach it, beside a bare FastAPI + async psycopg server in the same run.

``posada cloud`` runs as a user runs it (its own process, PostgreSQL on a fresh database, MQTT
off) with a 1,000-room property (4 types, one plan) and a front-desk bearer token; a bare
reference server (``http_reference.py``: one uvicorn process, async psycopg pool, the same
booking semantics on a plain schema) runs beside it. ``wrk`` drives both; every figure is
printed with the reference's figure of the same minutes, their ratio, and the machine-speed
reference loop of the other benchmarks (CPU seconds of a fixed pure-Python loop).

Run: ``./dev.sh bench -k http``. ``POSADA_BENCH_HTTP_SECONDS`` (default 10) per measurement,
``POSADA_BENCH_HTTP_WORKERS`` (default ``1,2``) the worker counts of the booking run.
``POSADA_BENCH_HTTP_PYSPY=DIR`` samples the server with ``py-spy`` during the measured runs.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from cloud.auth.accounts import create_staff, ensure_property, principal_of
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from cloud.auth.settings import AuthSettings
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from tests.bench import http_reference
from tests.bench.test_reservations_bench import TYPES, _hotel, _reference_seconds
from tests.bench.wrk_driver import Result, require_wrk, run_wrk
from tests.support.pg import fresh_database
from tests.support.ports import free_port, wait_for_port

pytestmark = pytest.mark.bench
SECONDS = float(os.environ.get("POSADA_BENCH_HTTP_SECONDS", "10"))
WORKERS = [int(n) for n in os.environ.get("POSADA_BENCH_HTTP_WORKERS", "1,2").split(",")]
BOOKING_CONNECTIONS = 50
ROOT = Path(__file__).resolve().parents[2]
# what a production start needs (``posada cloud`` refuses the development defaults)
SECRETS = {"POSADA_SECRET_KEY": secrets.token_hex(32),
           "POSADA_GUEST_KEYS": "k1=" + base64.b64encode(secrets.token_bytes(32)).decode(),
           "POSADA_GUEST_INDEX_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
OVERLAP = ("SELECT count(*) FROM room_allocations a JOIN room_allocations b ON a.room_id = b.room_id "
           "AND a.id < b.id AND a.stay && b.stay")
REF_OVERLAP = ("SELECT count(*) FROM ref.bookings a JOIN ref.bookings b ON a.room_id = b.room_id "
               "AND a.id < b.id AND a.stay && b.stay")


@dataclass
class Site:
    db_url: str  # SQLAlchemy's
    dsn: str  # libpq's
    token: str
    first_night: date


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    require_wrk()
    with fresh_database("posada_http") as url:
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        with sessions.begin() as s:
            _hotel(s)
            ensure_property(s, site="big", chain="bench", name="Big", time_zone="Europe/Madrid")
            passwords = Passwords(AuthSettings(argon2_memory_kib=1024))
            user = create_staff(s, actor="bench", passwords=passwords, username="bench-desk",
                                display_name="Desk", password=secrets.token_urlsafe(16),
                                role=Role.FRONT_DESK, site="big", chain="bench")
            s.flush()
            token, _row = issue_api_token(s, principal=principal_of(s, user), name="bench",
                                          now=datetime.now(UTC), settings=AuthSettings())
        engine.dispose()
        dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
        http_reference.prepare(dsn, {code: count for code, _g, _r, count, _p in TYPES})
        yield Site(db_url=url, dsn=dsn, token=token, first_night=date.today() + timedelta(days=2))


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    return env


_serving: dict[str, int] = {}  # url -> server process id, for the profiler


@contextmanager
def profiled(url: str, label: str) -> Iterator[None]:
    """With ``POSADA_BENCH_HTTP_PYSPY=DIR``: ``py-spy`` samples the server while the block runs
    (``DIR/label.txt``, collapsed stacks of the threads holding the GIL)."""
    folder = os.environ.get("POSADA_BENCH_HTTP_PYSPY")
    spy_bin = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if not folder or spy_bin is None:
        yield
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen([spy_bin, "record", "--pid", str(_serving[url]), "--rate", "100", "--gil",
                            "--subprocesses",
                            "--format", "raw", "--nonblocking", "-o", str(Path(folder, f"{label}.txt"))],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)


@contextmanager
def _server(command: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    with log.open("wb") as out:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            wait_for_port(port, timeout=300)  # two workers each import and start the app
            _serving[f"http://127.0.0.1:{port}"] = proc.pid
            yield f"http://127.0.0.1:{port}"
        except BaseException:
            print(log.read_text(errors="replace")[-3000:])
            raise
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def posada(site: Site, tmp: Path, *, workers: int = 1, **settings: str) -> Iterator[str]:
    port = free_port()
    # One token drives the whole load: its rate limit (600 a minute by default) is lifted, as a
    # hotel would for a trusted integration; everything else runs as shipped.
    env = _env(POSADA_DATABASE_URL=site.db_url, POSADA_MQTT_ENABLED="false", POSADA_LOG_LEVEL="WARNING",
               POSADA_KEYS_DIR=str(tmp / "keys"), POSADA_API_RATE_PER_MINUTE="100000000",
               POSADA_API_RATE_BURST="1000000", **SECRETS,
               **{f"POSADA_{k.upper()}": v for k, v in settings.items()})
    command = [sys.executable, "-m", "posada.cli", "cloud", "--port", str(port)]
    if workers != 1:
        command += ["--workers", str(workers)]
    with _server(command, env, port, tmp / f"posada-{port}.log") as url:
        yield url


@contextmanager
def reference(site: Site, tmp: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "tests.bench.http_reference:app", "--port", str(port),
               "--log-level", "warning"]
    with _server(command, _env(POSADA_REF_DSN=site.dsn), port, tmp / f"reference-{port}.log") as url:
        yield url


def _scalar(site: Site, query: str) -> int:
    engine = make_engine(site.db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(query)).scalar_one())
    finally:
        engine.dispose()


def _cpu_seconds(url: str) -> float:
    """CPU seconds (user and system) the server at ``url`` has used so far, its workers included:
    steadier than requests/s when other work shares the machine."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        stats[int(stat.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    tree, total = {_serving[url]}, 0.0
    for _ in range(3):  # uvicorn's workers are children of the process started
        tree |= {pid for pid, (parent, _cpu) in stats.items() if parent in tree}
    for pid in tree:
        total += stats.get(pid, (0, 0.0))[1]
    return total


def _cpu_line(label: str, cpu: float, result: Result) -> None:
    answered = max(1, result.ok + result.conflict)
    print(f"  {label}: server CPU {1000 * cpu / answered:.2f} ms per answered request "
          f"({1000 * cpu / max(1, result.requests):.2f} ms per request, 503s included)")


def _print(label: str, result: Result) -> None:
    print(f"  {label:<44} {result.line()}")


def _ratio(label: str, ours: Result, theirs: Result) -> float:
    """Of answered requests (2xx and 409): a 503 is not an answer."""
    ratio = ours.answered_rate / theirs.answered_rate
    print(f"  {label}: {ratio:.2f}x the reference's answered requests/s ({ours.answered_rate:.0f} vs "
          f"{theirs.answered_rate:.0f}; p50 {ours.p50_ms:.1f} vs {theirs.p50_ms:.1f} ms)")
    return ratio


def test_bookings_over_http_beside_the_bare_server(site: Site, tmp_path: Path) -> None:
    """50 connections of POSTs with varying dates; 0 double bookings, 0 5xx."""
    print(f"\n[http bookings] reference loop {_reference_seconds():.2f} s; {SECONDS:.0f} s per run, "
          f"{BOOKING_CONNECTIONS} connections, wrk one thread")
    book = dict(kind="book", connections=BOOKING_CONNECTIONS, seconds=SECONDS, first_night=site.first_night)
    with reference(site, tmp_path) as ref:
        run_wrk(ref + "/book", **{**book, "seconds": 3, "run": "ref-warm"})
        cpu = _cpu_seconds(ref)
        theirs = run_wrk(ref + "/book", **book, run="ref")  # type: ignore[arg-type]
        cpu = _cpu_seconds(ref) - cpu
    _print("bare FastAPI + psycopg, 1 process", theirs)
    _cpu_line("bare", cpu, theirs)
    for workers in WORKERS:
        with posada(site, tmp_path, workers=workers) as url:
            path = url + "/api/v1/properties/big/reservations"
            auth = f"Bearer {site.token}"
            run_wrk(path, **{**book, "seconds": 3}, auth=auth, run=f"warm{workers}")
            cpu = _cpu_seconds(url)
            with profiled(url, f"bookings-{workers}"):
                ours = run_wrk(path, **book, auth=auth, run=f"w{workers}")  # type: ignore[arg-type]
            cpu = _cpu_seconds(url) - cpu
        _print(f"posada cloud, {workers} worker(s)", ours)
        _cpu_line(f"posada, {workers} worker(s)", cpu, ours)
        _ratio(f"posada, {workers} worker(s)", ours, theirs)
        assert ours.failed == 0 and ours.socket_errors == 0
    print(f"  reference loop after: {_reference_seconds():.2f} s")
    assert _scalar(site, OVERLAP) == 0, "double bookings"
    assert _scalar(site, REF_OVERLAP) == 0
    assert theirs.failed == 0


def test_reads_over_http_beside_the_bare_server(site: Site, tmp_path: Path) -> None:
    """Availability (10 connections, p95), ``/api/v1/auth/me`` and ``/health`` against bare routes
    doing the same one query (4 connections)."""
    print(f"\n[http reads] reference loop {_reference_seconds():.2f} s; {SECONDS:.0f} s per run")
    auth = f"Bearer {site.token}"
    common = dict(seconds=SECONDS, first_night=site.first_night, auth=auth)
    cpu: dict[str, float] = {}  # server CPU seconds per measured run

    def measured(url: str, label: str, path: str, **how: object) -> Result:
        began = _cpu_seconds(url)
        with profiled(url, label):
            result = run_wrk(url + path, **how, **common)  # type: ignore[arg-type]
        cpu[label] = _cpu_seconds(url) - began
        return result

    with reference(site, tmp_path) as ref:
        run_wrk(ref + "/avail", kind="avail", connections=10, **{**common, "seconds": 3})  # type: ignore[arg-type]
        ref_avail = measured(ref, "ref-availability", "/avail", kind="avail", connections=10)
        ref_me = measured(ref, "ref-me", "/me", kind="get", connections=4)
        ref_health = measured(ref, "ref-health", "/health", kind="get", connections=4)
    with posada(site, tmp_path) as url:
        avail = "/api/v1/properties/big/availability"
        run_wrk(url + avail, kind="avail", connections=10,
                **{**common, "seconds": 3})  # type: ignore[arg-type]
        availability = measured(url, "availability", avail, kind="avail", connections=10)
        me = measured(url, "me", "/api/v1/auth/me", kind="get", connections=4)
        health = measured(url, "health", "/health", kind="get", connections=4)
    _print("bare availability (the inventory statement)", ref_avail)
    _print("posada availability, 10 connections", availability)
    _ratio("availability", availability, ref_avail)
    _print("bare /me (token + staff, one query)", ref_me)
    _print("posada /api/v1/auth/me", me)
    _ratio("/me", me, ref_me)
    _print("bare /health (SELECT 1)", ref_health)
    _print("posada /health", health)
    _ratio("/health", health, ref_health)
    for label, ours, theirs in (("availability", availability, ref_avail), ("me", me, ref_me),
                                ("health", health, ref_health)):
        _cpu_line(f"bare {label}", cpu[f"ref-{label}"], theirs)
        _cpu_line(f"posada {label}", cpu[label], ours)
    print(f"  reference loop after: {_reference_seconds():.2f} s")
    for result in (availability, me, health):
        assert result.failed == 0 and result.other == 0 and result.ok > 0


OVERLOAD_CONNECTIONS = 2 * BOOKING_CONNECTIONS


def test_overload_is_shed_with_503_and_no_request_waits_past_2_s(site: Site, tmp_path: Path) -> None:
    """Twice the booking run's clients (each honouring Retry-After) against one worker: past the
    in-flight limit the server answers 503 with Retry-After instead of queuing; every answer
    comes within 2 s."""
    print(f"\n[http overload] reference loop {_reference_seconds():.2f} s; {OVERLOAD_CONNECTIONS} "
          f"connections of bookings for {SECONDS:.0f} s against one worker")
    book = dict(kind="book", seconds=SECONDS, first_night=site.first_night, auth=f"Bearer {site.token}")
    with posada(site, tmp_path) as url:
        path = url + "/api/v1/properties/big/reservations"
        run_wrk(path, **{**book, "seconds": 3}, connections=BOOKING_CONNECTIONS, run="ov-warm")  # type: ignore[arg-type]
        steady = run_wrk(path, **book, connections=BOOKING_CONNECTIONS, run="ov-steady")  # type: ignore[arg-type]
        flooded = run_wrk(path, **book, connections=OVERLOAD_CONNECTIONS, run="ov")  # type: ignore[arg-type]
    _print(f"posada, {BOOKING_CONNECTIONS} connections", steady)
    _print(f"posada, {OVERLOAD_CONNECTIONS} connections", flooded)
    served = flooded.ok + flooded.conflict
    refused = flooded.busy / flooded.seconds
    print(f"  served {served / flooded.seconds:.0f} /s while refusing {refused:.0f} /s with 503; "
          f"slowest answer {flooded.max_ms:.0f} ms")
    assert _scalar(site, OVERLAP) == 0, "double bookings"
    assert flooded.failed == 0 and flooded.socket_errors == 0
    assert flooded.busy > 0, "nothing was shed"
    assert flooded.max_ms < 2000
