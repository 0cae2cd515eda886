"""The boards' manifests freeze the whole door node package, and it compiles for both boards.

Each manifest is run the way MicroPython's build runs it (``tools/manifestfile.py``: the file
is executed with ``include``, ``package``, ``module``, ``metadata`` and ``require`` defined,
paths relative to the manifest's folder); the port's own manifest (``$(PORT_DIR)``,
``$(BOARD_DIR)``) is the MicroPython tree's and is left out here. Every frozen file is then
compiled by MicroPython's ``mpy-cross`` for the board's native architecture with the
manifest's optimisation level, as freezing does.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
BOARDS = {"esp32": "xtensawin", "rp2": "armv6m"}  # ESP32 (Xtensa LX6), RP2040 (Cortex-M0+)


class Manifest:
    """What a manifest freezes: (file, its frozen name, opt)."""

    def __init__(self) -> None:
        self.frozen: list[tuple[Path, str, int]] = []
        self.metadata: dict[str, Any] = {}

    def run(self, path: Path) -> None:
        here = path.parent

        def include(target: str, **_kw: Any) -> None:
            if not target.startswith("$("):  # the port's manifest lives in MicroPython's tree
                self.run((here / target).resolve())

        def package(name: str, files: list[str] | None = None, base_path: str = ".",
                    opt: int = 0) -> None:
            folder = (here / base_path / name).resolve()
            names = files if files is not None else [
                str(p.relative_to(folder)) for p in sorted(folder.rglob("*.py"))]
            for file in names:
                self.frozen.append((folder / file, f"{name}/{file}", opt))

        def module(file: str, base_path: str = ".", opt: int = 0) -> None:
            self.frozen.append(((here / base_path / file).resolve(), file, opt))

        def metadata(**kw: Any) -> None:
            self.metadata.update(kw)

        def require(name: str, **_kw: Any) -> None:
            pytest.fail(f"{path}: requires {name} from micropython-lib; the node needs none")

        code = compile(path.read_text(), str(path), "exec")
        exec(code, {"include": include, "package": package, "module": module,
                    "metadata": metadata, "require": require})


def frozen_by(board: str) -> Manifest:
    manifest = Manifest()
    manifest.run(ROOT / "firmware" / "boards" / board / "manifest.py")
    return manifest


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_board_manifest_freezes_every_module_of_the_node(board: str) -> None:
    frozen = {path.name for path, _name, _opt in frozen_by(board).frozen}
    package = {p.name for p in (ROOT / "firmware" / "doornode").glob("*.py")} - {"manifest.py"}
    assert frozen == package


@pytest.mark.parametrize(("board", "arch"), sorted(BOARDS.items()))
def test_frozen_modules_compile_for_the_board(board: str, arch: str, tmp_path: Path) -> None:
    manifest = frozen_by(board)
    assert manifest.frozen
    for path, name, opt in manifest.frozen:
        out = tmp_path / name.replace("/", "_").replace(".py", ".mpy")
        run = subprocess.run(
            [sys.executable, "-m", "mpy_cross", f"-march={arch}", f"-O{opt}", "-s", name,
             "-o", str(out), str(path)],
            capture_output=True, text=True, timeout=60,
        )
        assert run.returncode == 0, f"{name} for {board}: {run.stderr}"
        assert out.read_bytes()[:1] == b"M"  # an .mpy file
