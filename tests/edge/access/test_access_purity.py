"""The pure cores import no I/O library (their adapters do)."""

from __future__ import annotations

import subprocess
import sys

import pytest

IO_LIBRARIES = ("sqlite_utils", "sqlite3", "paho", "serial", "pynfc", "gpiozero", "httpx",
                "sqlalchemy", "fastapi")


@pytest.mark.parametrize("module", ["mqtt.keycard", "edge.access.decision", "edge.access.gate",
                                    "edge.access.commands", "edge.clock", "cloud.cards.signing",
                                    "edge.hw.ntag", "edge.outbox", "edge.room_state"])
def test_core_module_imports_no_io_library(module: str) -> None:
    probe = (f"import sys, {module}; "
             f"print(' '.join(m for m in {IO_LIBRARIES!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout.split()
    assert loaded == [], f"{module} pulls in {loaded}"
