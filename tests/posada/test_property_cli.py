"""``posada property import/export``: the diff first, a question unless --yes, problems listed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from posada.cli import main
from tests.cloud.setup.conftest import HOTEL_FILE
from tests.support.db import migrated_engine


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Callable[..., Ran]:
    """``posada property ...`` in this process, on a migrated SQLite file, answering ``stdin`` when asked."""
    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    migrated_engine(url).dispose()
    monkeypatch.setenv("POSADA_DATABASE_URL", url)

    def invoke(*args: str, stdin: str = "") -> Ran:
        def answer(prompt: str) -> str:
            print(prompt)
            return stdin

        monkeypatch.setattr("builtins.input", answer)
        code = main(["property", *args])
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return invoke


@pytest.mark.slow
def test_import_shows_the_diff_asks_and_applies_then_export_round_trips(
    run: Callable[..., Ran], tmp_path: Path
) -> None:
    dry = run("import", str(HOTEL_FILE), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "+ rooms 101" in dry.stdout and "casa-azul: 122 to create" in dry.stdout
    declined = run("import", str(HOTEL_FILE), stdin="n\n")
    assert declined.returncode == 1 and "Apply these changes? [y/N]" in declined.stdout
    assert "nothing applied" in declined.stdout
    accepted = run("import", str(HOTEL_FILE), stdin="y\n")
    assert accepted.returncode == 0 and accepted.stdout.rstrip().endswith("applied")
    exported = run("export", "casa-azul")
    assert exported.returncode == 0 and yaml.safe_load(exported.stdout)["property"]["number"] == 7
    (tmp_path / "exported.yaml").write_text(exported.stdout, encoding="utf-8")
    again = run("import", str(tmp_path / "exported.yaml"))
    assert again.returncode == 0 and again.stdout.strip() == "casa-azul: no changes"
    changed = exported.stdout.replace("name: Hotel Casa Azul", "name: Hotel Casa Azul Centro")
    (tmp_path / "changed.yaml").write_text(changed, encoding="utf-8")
    applied = run("import", str(tmp_path / "changed.yaml"), "--yes")
    assert "~ property casa-azul (name: 'Hotel Casa Azul' -> 'Hotel Casa Azul Centro')" in applied.stdout
    as_json = run("export", "casa-azul", "--format", "json")
    assert '"name": "Hotel Casa Azul Centro"' in as_json.stdout


def test_a_bad_file_is_refused_with_every_problem_and_nothing_applied(
    run: Callable[..., Ran], tmp_path: Path
) -> None:
    bad = HOTEL_FILE.read_text(encoding="utf-8").replace("currency: MXN", "currency: PESO")
    bad = bad.replace("floor: p3, type: sgl", "floor: p9, type: sgl", 1)
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    refused = run("import", str(tmp_path / "bad.yaml"), "--yes")
    assert refused.returncode == 2
    assert "2 problems; nothing was applied" in refused.stderr
    assert "property.currency: 'PESO' is not an ISO 4217 currency code" in refused.stderr
    assert "rooms[40].floor: no floor 'p9'" in refused.stderr
    assert run("export", "casa-azul").returncode == 1
    missing = run("import", str(tmp_path / "nowhere.yaml"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
