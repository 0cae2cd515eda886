"""A real VictoriaMetrics for tests: it speaks the InfluxDB 2 write API that the telemetry
ingest uses (Debian ``victoria-metrics``; CI installs it). Missing binary: the test fails."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.ports import free_port, wait_for_port

BINARY = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"


@dataclass
class Victoria:
    directory: Path
    port: int
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def flush(self) -> None:
        with urllib.request.urlopen(f"{self.url}/internal/force_flush", timeout=10) as resp:
            resp.read()

    def export(self, match: str) -> list[dict[str, Any]]:
        """Raw samples of every series matching a selector, after a flush."""
        self.flush()
        query = urllib.parse.urlencode({"match[]": match})
        with urllib.request.urlopen(f"{self.url}/api/v1/export?{query}", timeout=30) as resp:
            return [json.loads(line) for line in resp.read().splitlines() if line.strip()]

    def sample_count(self, match: str) -> int:
        return sum(len(series["values"]) for series in self.export(match))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_victoria(extra_args: list[str] | None = None) -> Victoria:
    if not Path(BINARY).exists():
        raise RuntimeError(f"victoria-metrics not found at {BINARY}: "
                           "apt-get install -y victoria-metrics")
    directory = Path(tempfile.mkdtemp(prefix="posada-vm-"))
    port = free_port()
    log = open(directory / "vm.log", "ab")  # noqa: SIM115 (lives as long as the process)
    process = subprocess.Popen(
        [BINARY, f"-httpListenAddr=127.0.0.1:{port}", f"-storageDataPath={directory / 'data'}",
         "-retentionPeriod=100y", "-loggerLevel=ERROR", *(extra_args or [])],
        stdout=log, stderr=log)
    victoria = Victoria(directory, port, process)
    try:
        wait_for_port(port, timeout=20)
    except TimeoutError:
        victoria.stop()
        raise
    return victoria
