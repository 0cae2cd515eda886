"""Runs the portable firmware tests inside a real MicroPython (WebAssembly) under Node.js."""

from __future__ import annotations

import ast
import fcntl
import re
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
PACKAGE = ROOT / "firmware" / "doornode"
RUNNER = HERE / "run_micropython.mjs"
WASM_PKG = HERE / "node_modules" / "@micropython" / "micropython-webassembly-pyscript"
PORTABLE_MARK = "# portable:"  # runs under CPython (pytest) and MicroPython
MICROPYTHON_MARK = "# micropython:"  # MicroPython only (mp_test_*.py, pytest skips the name)


def _portable_files() -> list[Path]:
    return sorted(
        p for p in HERE.glob("*.py")
        if p.read_text().startswith((PORTABLE_MARK, MICROPYTHON_MARK))
    )


def _portable_tests() -> list[tuple[str, str]]:
    found = []
    for path in _portable_files():
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test_"
            ):
                found.append((path.stem, node.name))
    return found


def _ensure_runtime() -> None:
    """Install the pinned npm package once (test workers may race: take a lock)."""
    with open(HERE / ".npm-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (WASM_PKG / "micropython.mjs").exists():
            return
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is needed once to install the MicroPython WebAssembly package")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(HERE)],
            check=True, capture_output=True, timeout=240,
        )


@pytest.fixture(scope="module")
def micropython_results() -> tuple[dict[tuple[str, str], str], str]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is required to run the firmware tests under MicroPython")
    _ensure_runtime()
    files = [str(p) for p in _portable_files()]
    run = subprocess.run(
        [node, str(RUNNER), "--lib", str(PACKAGE), *files],
        cwd=HERE, capture_output=True, text=True, timeout=120,
    )
    output = run.stdout + run.stderr
    results = {
        (m.group(2), m.group(3)): m.group(1)
        for m in re.finditer(r"^(PASS|FAIL) (\S+) (\S+)$", run.stdout, re.MULTILINE)
    }
    if "MICROPYTHON (1, 27" not in run.stdout:
        pytest.fail("the MicroPython runner did not finish:\n" + output[-4000:])
    return results, output


def test_portable_tests_are_found() -> None:
    assert ("test_fw_frame", "test_round_trip_through_the_decoder") in _portable_tests()
    assert len(_portable_tests()) >= 25


@pytest.mark.parametrize(("module", "name"), _portable_tests())
def test_passes_under_micropython(
    micropython_results: tuple[dict[tuple[str, str], str], str], module: str, name: str
) -> None:
    results, output = micropython_results
    assert results.get((module, name)) == "PASS", output[-4000:]
