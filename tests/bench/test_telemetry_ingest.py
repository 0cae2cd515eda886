"""Telemetry from a real Mosquitto into VictoriaMetrics (InfluxDB write API), per worker.

Run: ./dev.sh bench -k telemetry   (POSADA_BENCH_TELEMETRY_N sets the message count)
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.bench.raw_mqtt import load_average, reference_seconds
from tests.support.ports import free_port, wait_for_port
from tests.support.production import production_env
from tests.support.victoria import Victoria, start_victoria

pytestmark = pytest.mark.bench
N = int(os.environ.get("POSADA_BENCH_TELEMETRY_N", "200000"))
ROOMS = 100
ROOT = Path(__file__).resolve().parents[2]
STARTED_CPU: dict[int, float] = {}


def start_mosquitto() -> tuple[subprocess.Popen[bytes], int]:
    directory = Path(tempfile.mkdtemp(prefix="posada-bench-mosq-"))
    directory.chmod(0o755)
    port = free_port()
    conf = directory / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n"
                    "max_inflight_messages 1000\npersistence false\n")
    conf.chmod(0o644)
    process = subprocess.Popen(["mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return process, port


def write_inputs(directory: Path, site: str) -> list[tuple[str, Path]]:
    """One file per room of one-line JSON payloads, each sample at its own millisecond."""
    base_ms = int((datetime.now(UTC) - timedelta(hours=1)).timestamp() * 1000)
    files = []
    per_room = N // ROOMS
    for r in range(ROOMS):
        path = directory / f"{site}-{r}.txt"
        lines = []
        for i in range(per_room):
            ts = datetime.fromtimestamp((base_ms + i) / 1000, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z")
            lines.append(json.dumps({
                "v": 1, "id": f"B{r:03d}{i:010d}", "type": "room.telemetry", "ts": ts,
                "source": "gw-bench", "data": {"room": f"r{r}", "readings": {
                    "temperature_c": 20.0 + (i % 50) / 10, "humidity_pct": 40.0 + i % 7,
                    "occupied": i % 2 == 0, "door_open": False, "lock_battery_v": 2.93,
                    "link_quality_pct": 97.5}}}, separators=(",", ":")))
        path.write_text("\n".join(lines) + "\n")
        files.append((f"posada/v1/{site}/f1/rooms/r{r}/telemetry", path))
    return files


def start_workers(count: int, *, port: int, victoria: Victoria) -> list[subprocess.Popen[str]]:
    env = {**os.environ, "POSADA_MQTT_URL": f"mqtt://127.0.0.1:{port}",
           "POSADA_INFLUX_URL": victoria.url, "POSADA_INFLUX_TOKEN": "bench",
           "POSADA_TELEMETRY_KEEP_LATEST": "false", "POSADA_TELEMETRY_SHARE_GROUP": "bench",
           "POSADA_LOG_LEVEL": "INFO", **production_env()}
    workers = []
    for n in range(count):
        proc = subprocess.Popen([sys.executable, "-m", "cloud.telemetry_worker", "--client-id",
                                 f"bench-{n}"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
        line = proc.stderr.readline() if proc.stderr else ""
        assert "subscribed" in line, line
        STARTED_CPU[proc.pid] = cpu_seconds(proc.pid)  # imports and start-up are not ingest
        workers.append(proc)
    return workers


def stored(victoria: Victoria, site: str) -> int:
    victoria.flush()
    query = urllib.parse.urlencode({
        "query": f'sum(count_over_time(room_temperature_c{{site="{site}"}}[1d]))', "nocache": "1"})
    with urllib.request.urlopen(f"{victoria.url}/api/v1/query?{query}", timeout=30) as resp:
        result = json.loads(resp.read())["data"]["result"]
    return int(float(result[0]["value"][1])) if result else 0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_workers(workers: list[subprocess.Popen[str]]) -> list[tuple[int, float, float]]:
    """(received, busy seconds, CPU seconds) per worker; the first two from the line each
    logs when it stops."""
    stats = []
    for proc in workers:
        cpu = cpu_seconds(proc.pid) - STARTED_CPU.get(proc.pid, 0.0)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        found = re.search(r"stopped: (\d+) received.*busy ([\d.]+) s", err)
        assert found, err[-2000:]
        stats.append((int(found.group(1)), float(found.group(2)), cpu))
    return stats


def flood(inputs: list[tuple[str, Path]], port: int) -> None:
    """As fast as mosquitto_pub goes, four publishers at once."""
    pubs = []
    for i in range(0, len(inputs), ROOMS // 4):
        script = "; ".join(f"mosquitto_pub -p {port} -q 0 -t {t} -l < {p}"
                           for t, p in inputs[i:i + ROOMS // 4])
        pubs.append(subprocess.Popen(["bash", "-c", script]))
    for pub in pubs:
        assert pub.wait(timeout=300) == 0


def paced(inputs: list[tuple[str, Path]], port: int, rate: float) -> None:
    """One paho publisher holding a steady rate (a hotel's floors, not a flood)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    messages = [(t, line) for t, p in inputs for line in p.read_bytes().splitlines()]
    messages.sort(key=lambda m: m[1][40:80])  # interleave rooms by timestamp
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-pub")
    client.connect("127.0.0.1", port)
    client.loop_start()
    start = time.monotonic()
    for i, (topic, body) in enumerate(messages):
        client.publish(topic, body, qos=0)
        if i % 100 == 99:
            ahead = start + (i + 1) / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    time.sleep(0.5)
    client.disconnect()
    client.loop_stop()


def raw_rate(inputs: list[tuple[str, Path]], port: int, sent: int) -> tuple[float, int]:
    """The same flood into ``mosquitto_sub`` on the workers' filter, QoS 0, through the same
    broker: (messages per second it received, how many)."""
    out = Path(tempfile.mkstemp(prefix="posada-bench-raw-")[1])
    with out.open("wb") as fh:
        sub = subprocess.Popen(["mosquitto_sub", "-p", str(port), "-q", "0", "-C", str(sent),
                                "-W", "120", "-t", "posada/v1/+/+/rooms/+/telemetry"], stdout=fh)
        time.sleep(0.5)
        t0 = time.monotonic()
        flood(inputs, port)
        sub.wait(timeout=180)
        elapsed = time.monotonic() - t0
    with out.open("rb") as fh:
        received = sum(1 for _ in fh)
    out.unlink()
    return received / elapsed, received


def wait_stored(victoria: Victoria, site: str, expected: int) -> int:
    count, last_change, last = 0, time.monotonic(), -1
    while time.monotonic() - last_change < 5 and count < expected:
        time.sleep(0.5)
        count = stored(victoria, site)
        if count != last:
            last, last_change = count, time.monotonic()
    return count


def run(workers_count: int, victoria: Victoria, tmp: Path, *, rate: float | None) -> None:
    site = f"b{workers_count}{'p' if rate else 'f'}"
    inputs = write_inputs(tmp, site)
    sent = (N // ROOMS) * ROOMS
    broker, port = start_mosquitto()
    raw: tuple[float, int] | None = None
    try:
        raw = raw_rate(inputs, port, sent) if rate is None else None
    except BaseException:
        broker.terminate()
        raise
    workers = start_workers(workers_count, port=port, victoria=victoria)
    try:
        t0 = time.monotonic()
        flood(inputs, port) if rate is None else paced(inputs, port, rate)
        published_s = time.monotonic() - t0
        count = wait_stored(victoria, site, sent)
        stats = stop_workers(workers)
    finally:
        for proc in workers:
            if proc.poll() is None:
                proc.kill()
        broker.terminate()
        broker.wait(timeout=10)
    received = [r for r, _, _ in stats]
    busy = max(b for _, b, _ in stats)
    cpu_us = 1e6 * sum(c for _, _, c in stats) / max(1, sum(received))
    mode = "flood" if rate is None else f"paced {rate:,.0f}/s"
    beside = (f"; raw mosquitto_pub -> mosquitto_sub QoS 0, same broker and flood: {raw[0]:,.0f} msg/s "
              f"({raw[1]} of {sent} received), ratio {sum(received) / busy / workers_count / raw[0]:.2f} "
              f"per worker" if raw else "")
    print(f"\n[telemetry bench] {mode} workers={workers_count} load={load_average()} "
          f"reference={reference_seconds():.2f}s published={sent} in "
          f"{published_s:.2f}s ({sent / published_s:,.0f}/s) received={received} "
          f"stored={count} dropped_at_broker={sent - sum(received)} "
          f"ingest={sum(received) / busy:,.0f} msg/s over {busy:.2f}s "
          f"({sum(received) / busy / workers_count:,.0f}/s per worker); worker CPU "
          f"{cpu_us:.0f} us/msg = {1e6 / cpu_us:,.0f} msg/s per fully free core{beside}")
    # Nothing lost or doubled between the broker's hand-off and the store; what the broker
    # dropped (QoS 0 to a subscriber that fell behind) is printed above, not hidden.
    assert count == sum(received), "stored samples differ from messages the workers received"
    assert sum(received) <= sent, "a message was delivered to more than one worker"


@pytest.fixture(scope="module")
def victoria() -> Iterator[Victoria]:
    server = start_victoria(extra_args=["-search.latencyOffset=0s"])
    yield server
    server.stop()


@pytest.mark.parametrize("workers", [1, 2])
def test_flood_from_the_broker_into_victoriametrics(workers: int, victoria: Victoria,
                                                     tmp_path: Path) -> None:
    run(workers, victoria, tmp_path, rate=None)


@pytest.mark.parametrize("workers", [1, 2])
def test_paced_load_arrives_whole_and_counted_once(workers: int, victoria: Victoria,
                                                    tmp_path: Path) -> None:
    run(workers, victoria, tmp_path, rate=float(os.environ.get("POSADA_BENCH_TELEMETRY_RATE",
                                                             "4000")))
