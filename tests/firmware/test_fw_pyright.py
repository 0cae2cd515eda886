"""The firmware type-checks against MicroPython's own stubs (ESP32 port), with pyright."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.service  # pyright runs on Node.js
def test_firmware_type_checks_against_micropython_stubs() -> None:
    purelib = Path(sysconfig.get_paths()["purelib"])
    if not (purelib / "machine.pyi").exists():
        pytest.fail("micropython-esp32-stubs is not installed (it is in the dev extra)")
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent))
    if pyright is None:
        pytest.fail("pyright is not installed (it is in the dev extra)")
    run = subprocess.run(
        [pyright, "-p", str(ROOT / "firmware"), "--typeshedpath", str(purelib),
         "--pythonpath", sys.executable],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 errors" in run.stdout
