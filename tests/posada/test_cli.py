"""The ``posada`` command: help lists settings, provisioning writes what a site needs.

The commands run in this process through ``main(argv)`` (a new interpreter per test costs
seconds of imports); one test runs the installed entry point as a user would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from posada.demo import choose_port
from tests.support.cli import Done, run_posada

Run = Callable[..., Done]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Run:
    """``posada ARGS`` in this process, with the environment changed for this test only."""

    def posada(*args: str, env: dict[str, str] | None = None, clean: bool = False) -> Done:
        if clean:
            for name in [n for n in os.environ if n.startswith("POSADA_")]:
                monkeypatch.delenv(name)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        return run_posada(*args)

    return posada


def test_the_installed_command_answers_help_in_a_new_process() -> None:
    done = subprocess.run([sys.executable, "-m", "posada.cli", "cloud", "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "POSADA_DATABASE_URL" in done.stdout


def test_cloud_help_lists_every_setting_with_its_variable(run: Run) -> None:
    out = run("cloud", "--help").stdout
    for name in ("POSADA_DATABASE_URL", "POSADA_MQTT_URL", "POSADA_SECRET_KEY", "POSADA_INFLUX_URL"):
        assert name in out


def test_edge_help_lists_the_gateways_settings(run: Run) -> None:
    out = run("edge", "--config", "x", "--help").stdout
    assert "POSADA_SITE" in out and "POSADA_MQTT_URL" in out


def test_provision_broker_writes_config_passwords_and_acl(tmp_path: Path, run: Run) -> None:
    result = run("provision", "broker", "--out", str(tmp_path), "--floor", "hotel/f1", "--floor", "hotel/f2")
    assert result.returncode == 0, result.stderr
    acl = (tmp_path / "acl").read_text()
    assert "user gw.hotel.f1" in acl and "topic write posada/v1/hotel/f2/events" in acl
    users = [line.split(":")[0] for line in (tmp_path / "passwd").read_text().splitlines()]
    assert users == ["posada-cloud", "gw.hotel.f1", "gw.hotel.f2", "posada-health"]
    assert (tmp_path / "credentials.txt").stat().st_mode & 0o077 == 0


def test_provision_broker_refuses_a_floor_without_site(tmp_path: Path, run: Run) -> None:
    result = run("provision", "broker", "--out", str(tmp_path), "--floor", "f1")
    assert result.returncode != 0 and "SITE/FLOOR" in result.stderr


def test_provision_keys_creates_a_key_and_prints_the_gateway_command(tmp_path: Path, run: Run) -> None:
    result = run("provision", "keys", "--dir", str(tmp_path / "keys"))
    assert result.returncode == 0, result.stderr
    assert '"type":"key.upsert"' in result.stdout.replace(" ", "")


def test_provision_grafana_writes_provisioning_files(tmp_path: Path, run: Run) -> None:
    result = run("provision", "grafana", "--out", str(tmp_path),
                 env={"POSADA_INFLUX_URL": "http://127.0.0.1:8428"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "datasources" / "posada.yaml").exists()


def test_the_demo_moves_off_a_taken_port_and_keeps_a_free_one() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        moved = choose_port(busy)
        assert moved != busy and moved > 0
    assert choose_port(moved) == moved  # free again: kept


def test_cloud_refuses_the_default_secret_and_missing_guest_keys_naming_each(
        tmp_path: Path, run: Run) -> None:
    done = run("cloud", clean=True, env={"POSADA_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"})
    assert done.returncode == 2
    for variable in ("POSADA_SECRET_KEY", "POSADA_GUEST_KEYS", "POSADA_GUEST_INDEX_KEY"):
        assert variable in done.stderr
    assert not (tmp_path / "c.db").exists(), "it touched the database before refusing"


def test_cloud_refuses_guest_keys_that_are_not_keys(tmp_path: Path, run: Run) -> None:
    from tests.support.production import production_env

    done = run("cloud", clean=True, env=production_env() | {"POSADA_GUEST_KEYS": "k1=c2hvcnQ="})
    assert done.returncode == 2 and "POSADA_GUEST_KEYS[k1]: must be 32 bytes" in done.stderr
    assert "POSADA_SECRET_KEY" not in done.stderr


def test_provision_broker_for_compose_writes_the_containers_paths(tmp_path: Path, run: Run) -> None:
    result = run("provision", "broker", "--target", "compose", "--out", str(tmp_path / "m"),
                 "--floor", "hotel/f1")
    assert result.returncode == 0, result.stderr
    conf = (tmp_path / "m" / "mosquitto.conf").read_text()
    assert "password_file /mosquitto/config/passwd" in conf and "acl_file /mosquitto/config/acl" in conf
    assert "persistence_location /mosquitto/data/" in conf
    # the image's plugin, its file on the data volume (the config mount is read-only)
    assert "plugin /usr/lib/mosquitto_dynamic_security.so\n" in conf
    assert "plugin_opt_config_file /mosquitto/data/dynamic-security.json\n" in conf
    assert (tmp_path / "m" / "dynamic-security.json").is_file()
    assert (tmp_path / "m" / "broker-admin.json").is_file()


def test_provision_broker_for_compose_with_tls_only_loads_no_plugin(tmp_path: Path, run: Run) -> None:
    """Its control listener would be the container's loopback: revoke could not reach it."""
    result = run("provision", "broker", "--target", "compose", "--out", str(tmp_path / "m"),
                 "--floor", "hotel/f1", "--ca", str(tmp_path / "ca"))
    assert result.returncode == 0, result.stderr
    assert "plugin" not in (tmp_path / "m" / "mosquitto.conf").read_text()
    assert not (tmp_path / "m" / "broker-admin.json").exists()
    assert "only with its password listener" in result.stdout


def test_provision_broker_for_the_host_writes_absolute_paths(
        tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    done = run("provision", "broker", "--out", "m", "--floor", "hotel/f1")
    assert done.returncode == 0, done.stderr
    conf = (tmp_path / "m" / "mosquitto.conf").read_text()
    assert f"password_file {(tmp_path / 'm').resolve()}/passwd" in conf


def test_provision_broker_refuses_a_bad_slug_before_writing_anything(tmp_path: Path, run: Run) -> None:
    result = run("provision", "broker", "--out", str(tmp_path / "m"), "--floor", "hotel/F 1")
    assert result.returncode != 0 and "hotel/F 1" in result.stderr
    assert not (tmp_path / "m").exists()
