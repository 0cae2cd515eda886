"""The raw broker rate on this machine: mosquitto_pub -> mosquitto_sub, QoS 1, same broker."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from tests.support.broker import Mosquitto

CHUNK = 30_000  # mosquitto_pub -l at QoS >= 1 stalls after ~34.5k lines of one file


def write_chunks(directory: Path, lines: Iterable[bytes]) -> list[Path]:
    """Lines (newline-terminated) in files of at most CHUNK lines each, for ``mosquitto_pub -l``."""
    files: list[Path] = []
    fh = None
    for n, line in enumerate(lines):
        if n % CHUNK == 0:
            if fh is not None:
                fh.close()
            files.append(directory / f"chunk{n}.txt")
            fh = files[-1].open("wb")
        assert fh is not None
        fh.write(line)
    if fh is not None:
        fh.close()
    return files


def publish_chunks(broker: Mosquitto, *, user: str, topic: str, files: list[Path], qos: int = 1) -> None:
    """Publish every line of ``files`` with mosquitto_pub as ``user``."""
    for path in files:
        with path.open("rb") as fh:
            subprocess.run(
                [
                    "mosquitto_pub",
                    "-p",
                    str(broker.port),
                    "-u",
                    user,
                    "-P",
                    broker.passwords[user],
                    "-t",
                    topic,
                    "-q",
                    str(qos),
                    "-l",
                ],
                stdin=fh,
                check=True,
                timeout=600,
            )


def reference_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop (0.11-0.27 s when this machine is quiet): print it
    beside a figure so runs on a slow or busy machine can be told apart."""
    started, total = time.process_time(), 0
    for i in range(3_000_000):
        total += i
    return time.process_time() - started


def raw_rate(broker: Mosquitto, *, count: int, payload_bytes: int = 250, qos: int = 1) -> float:
    """Messages per second from a mosquitto_pub to a mosquitto_sub through ``broker``."""
    pub_user = next(u for u in broker.passwords if u.startswith("gw.hotel.f3"))
    topic = "posada/v1/hotel/f3/events"
    line = ("x" * payload_bytes).encode() + b"\n"
    with tempfile.TemporaryDirectory() as tmp:
        files = write_chunks(Path(tmp), (line for _ in range(count)))
        sub = subprocess.Popen(
            [
                "mosquitto_sub",
                "-p",
                str(broker.port),
                "-u",
                "posada-cloud",
                "-P",
                broker.passwords["posada-cloud"],
                "-t",
                topic,
                "-q",
                str(qos),
                "-C",
                str(count),
            ],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        start = time.perf_counter()
        publish_chunks(broker, user=pub_user, topic=topic, files=files, qos=qos)
        sub.wait(timeout=300)
        return count / (time.perf_counter() - start)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    """The 1-minute load average now, printed beside a figure."""
    return f"{os.getloadavg()[0]:.2f}"
