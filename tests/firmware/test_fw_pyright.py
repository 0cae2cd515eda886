"""The firmware type-checks against MicroPython's own stubs of both boards, with pyright.

ESP32: `micropython-esp32-stubs` (in the dev extra, so in the venv's site-packages).
RP2040 (Raspberry Pi Pico W): `micropython-rp2-rpi-pico-w-stubs` defines the same module names
(`machine`, `time`, ...), so it cannot share a site-packages with the ESP32 stubs: it is
installed once into `tests/firmware/stubs-rp2` (git-ignored) and pyright is pointed at it with
the base interpreter, whose search path holds no ESP32 stubs to fall back on.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
HERE = Path(__file__).parent
RP2_STUBS = HERE / "stubs-rp2"
RP2_PACKAGE = "micropython-rp2-rpi-pico-w-stubs==1.29.0.post1"


def _pyright() -> str:
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent))
    if pyright is None:
        pytest.fail("pyright is not installed (it is in the dev extra)")
    return pyright


def _check(config: Path, typeshed: Path, python: str) -> None:
    run = subprocess.run(
        [_pyright(), "-p", str(config), "--typeshedpath", str(typeshed), "--pythonpath", python],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 errors" in run.stdout


def _ensure_rp2_stubs() -> None:
    with open(HERE / ".stubs-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (RP2_STUBS / "machine.pyi").exists():
            return
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--target", str(RP2_STUBS), RP2_PACKAGE],
            check=True, capture_output=True, timeout=240,
        )


@pytest.mark.service  # pyright runs on Node.js
def test_firmware_type_checks_against_esp32_stubs() -> None:
    purelib = Path(sysconfig.get_paths()["purelib"])
    if not (purelib / "machine.pyi").exists():
        pytest.fail("micropython-esp32-stubs is not installed (it is in the dev extra)")
    _check(ROOT / "firmware", purelib, sys.executable)


@pytest.mark.service  # pyright runs on Node.js; the stubs come from PyPI on first use
def test_firmware_type_checks_against_rp2040_stubs() -> None:
    _ensure_rp2_stubs()
    base = getattr(sys, "_base_executable", sys.executable)
    _check(ROOT / "firmware" / "pyrightconfig.rp2.json", RP2_STUBS, base)
