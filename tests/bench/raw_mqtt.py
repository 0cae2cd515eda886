"""The raw broker rate on this machine: mosquitto_pub -> mosquitto_sub, QoS 1, same broker."""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

from tests.support.broker import Mosquitto

CHUNK = 30_000  # mosquitto_pub -l at QoS >= 1 stalls after ~34.5k lines of one file


def raw_rate(broker: Mosquitto, *, count: int, payload_bytes: int = 250, qos: int = 1) -> float:
    """Messages per second from a mosquitto_pub to a mosquitto_sub through ``broker``."""
    pub_user = next(u for u in broker.passwords if u.startswith("gw.hotel.f3"))
    topic = "posada/v1/hotel/f3/events"
    line = ("x" * payload_bytes) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i in range(0, count, CHUNK):
            path = Path(tmp) / f"chunk{i}.txt"
            path.write_text(line * min(CHUNK, count - i))
            files.append(path)
        sub = subprocess.Popen(
            ["mosquitto_sub", "-p", str(broker.port), "-u", "posada-cloud",
             "-P", broker.passwords["posada-cloud"], "-t", topic, "-q", str(qos), "-C", str(count)],
            stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        start = time.perf_counter()
        for path in files:
            with path.open("rb") as fh:
                subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-u", pub_user,
                                "-P", broker.passwords[pub_user], "-t", topic, "-q", str(qos), "-l"],
                               stdin=fh, check=True, timeout=300)
        sub.wait(timeout=300)
        return count / (time.perf_counter() - start)
