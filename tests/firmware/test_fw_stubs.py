"""The typed .pyi files beside the firmware match what the hint-free modules define."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
MODULES = ["frame", "node", "clock", "allowlist", "lock"]


def test_firmware_stubs_match_the_modules() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", *(f"firmware.doornode.{m}" for m in MODULES)],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
