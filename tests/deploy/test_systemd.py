"""``posada provision systemd`` writes units that systemd itself accepts (``systemd-analyze verify``
on the files in a scratch directory, no booted systemd needed) and that are confined."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import run_posada

ANALYZE = "/usr/bin/systemd-analyze"
# The template units are checked through an instance, as systemd would start them.
INSTANCES = {"posada-cloud.service": "posada-cloud.service",
             "posada-edge@.service": "posada-edge@f1.service",
             "posada-desk@.service": "posada-desk@desk-1.service",
             "posada-channels-sender.service": "posada-channels-sender.service"}


@pytest.fixture(scope="module")
def units(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("units")
    posada = Path(sys.executable).parent / "posada"
    assert posada.is_file(), f"{posada}: the posada command is not installed in this environment"
    done = run_posada("provision", "systemd", "--out", str(out), "--site", "hotel", "--posada", str(posada))
    assert done.returncode == 0, done.stderr
    return out


def analyze(*args: str) -> subprocess.CompletedProcess[str]:
    assert Path(ANALYZE).is_file(), f"{ANALYZE} is required (Debian package systemd)"
    return subprocess.run([ANALYZE, *args], capture_output=True, text=True, timeout=120)


def service_section(path: Path) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    section = None
    for line in path.read_text().splitlines():
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line:
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_systemd_analyze_verify_reports_nothing_on_our_units(units: Path) -> None:
    paths = [str(units / instance) for instance in INSTANCES.values()]
    # --man=no: no man pages to look up here; --generators=no: no booted system to run them against;
    # --recursive-errors=no: only our units, not the system's units they are ordered after.
    done = analyze("verify", "--man=no", "--generators=no", "--recursive-errors=no", *paths)
    ours = [line for line in (done.stdout + done.stderr).splitlines() if "posada" in line]
    assert done.returncode == 0 and not ours, done.stdout + done.stderr


def test_verify_does_report_a_broken_unit(units: Path, tmp_path: Path) -> None:
    broken = tmp_path / "posada-cloud.service"
    text = (units / "posada-cloud.service").read_text()
    broken.write_text(text.replace("Type=exec", "Type=exec\nRestart=sometimes"))
    done = analyze("verify", "--man=no", "--generators=no", "--recursive-errors=no", str(broken))
    assert "sometimes" in done.stdout + done.stderr


@pytest.mark.parametrize("name", list(INSTANCES))
def test_every_unit_runs_as_the_dedicated_user_confined_and_restarting(units: Path, name: str) -> None:
    service = service_section(units / name)
    assert service["User"] == ["posada"] and service["Group"] == ["posada"]
    assert service["EnvironmentFile"][0].startswith("/etc/posada/")
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "CapabilityBoundingSet": ""}.items():
        assert service.get(key) == [value], f"{name}: {key}={value} is missing"
    assert service["Restart"][0] in ("always", "on-failure")
    # the desk and the channel sender keep no state (the cloud holds the jobs, the database the outbox)
    if name not in ("posada-desk@.service", "posada-channels-sender.service"):
        assert service["StateDirectory"], f"{name} has no StateDirectory"


@pytest.mark.parametrize("name", list(INSTANCES))
def test_every_unit_is_rated_well_confined_by_systemd(units: Path, name: str) -> None:
    done = analyze("security", "--offline=true", "--no-pager", "--threshold=25", str(units / INSTANCES[name]))
    assert done.returncode == 0, done.stdout[-600:] + done.stderr


def test_the_cloud_keeps_its_signing_keys_in_its_state_directory(units: Path) -> None:
    service = service_section(units / "posada-cloud.service")
    assert "Environment" in service and "POSADA_KEYS_DIR=%S/posada/cloud/keys" in service["Environment"]
    assert "posada/cloud/keys" in service["StateDirectory"][0].split()


def test_the_sysusers_file_creates_the_user(units: Path) -> None:
    lines = (units / "posada.sysusers.conf").read_text().splitlines()
    assert lines[0].startswith("u posada ")


def test_a_bad_site_or_a_relative_command_writes_nothing(tmp_path: Path) -> None:
    for args in (["--site", "Hotel One"], ["--site", "hotel", "--posada", "bin/posada"],
                 ["--site", "hotel", "--posada", "/opt/posada/bin/posada\nExecStartPre=/bin/sh"]):
        done = run_posada("provision", "systemd", "--out", str(tmp_path / "u"), *args)
        assert done.returncode != 0 and "posada provision systemd:" in done.stderr
        assert not (tmp_path / "u").exists()



def test_the_channel_sender_runs_with_the_cloud_s_settings_and_after_it(units: Path) -> None:
    text = (units / "posada-channels-sender.service").read_text()
    service = service_section(units / "posada-channels-sender.service")
    assert service["EnvironmentFile"] == ["/etc/posada/cloud.env"]  # the same database and keys
    assert service["ExecStart"][0].endswith("/posada channels-sender")
    assert service["Restart"] == ["always"]
    assert "posada-cloud.service" in next(line for line in text.splitlines() if line.startswith("After="))
    assert "POSADA_CHANNELS_SENDER=external" in (units / "cloud.env.example").read_text()
