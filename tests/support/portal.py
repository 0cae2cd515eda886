"""The cloud app under uvicorn in its own process, as browser tests drive it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.ports import wait_for_port


@contextmanager
def running_portal(env: dict[str, str], *, port: int, log_path: Path, timeout: float = 120) -> Iterator[str]:
    """Start ``cloud.app:create_app`` on ``port`` with ``env``; yields its URL once it listens."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "cloud.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            env=env, stdout=log, stderr=log)
        try:
            wait_for_port(port, timeout=timeout)  # imports alone take 15-20 s on a loaded 2-core machine
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
