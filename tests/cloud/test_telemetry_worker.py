import logging

import pytest

from cloud.telemetry_worker import run


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("POSADA_"):
            monkeypatch.delenv(name)


def test_help_lists_the_settings_it_reads(capsys):
    with pytest.raises(SystemExit) as done:
        run(["--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "POSADA_MQTT_URL" in out and "--client-id" in out


def test_missing_broker_url_is_a_clear_error(capsys):
    with pytest.raises(SystemExit) as done:
        run([])
    assert done.value.code == 2
    assert "POSADA_MQTT_URL is required" in capsys.readouterr().err


def test_unreachable_broker_exits_with_a_clear_error(monkeypatch, tmp_path, caplog):
    from tests.support.ports import free_port
    from tests.support.production import production_env

    monkeypatch.setenv("POSADA_MQTT_URL", f"mqtt://127.0.0.1:{free_port()}")
    monkeypatch.setenv("POSADA_DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    for name, value in production_env().items():
        monkeypatch.setenv(name, value)
    # the worker retries the broker for 10 s before it gives up; a second says the same here
    from cloud.telemetry.worker import TelemetryWorker
    monkeypatch.setattr(TelemetryWorker.start, "__kwdefaults__", {"timeout_s": 1.0})
    with caplog.at_level(logging.ERROR):
        assert run([]) == 1
    assert "cannot start" in caplog.text


def test_module_entry_point_is_the_same_command():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "cloud.telemetry_worker", "--help"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0 and "--client-id" in done.stdout


def test_a_broker_url_that_is_not_mqtt_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setenv("POSADA_MQTT_URL", "http://127.0.0.1:1883")
    with pytest.raises(SystemExit) as done:
        run([])
    assert done.value.code == 2 and "not an mqtt://" in capsys.readouterr().err


def test_the_default_secret_key_is_refused_naming_the_variables(monkeypatch, capsys):
    monkeypatch.setenv("POSADA_MQTT_URL", "mqtt://127.0.0.1:1883")
    with pytest.raises(SystemExit) as done:
        run([])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "refusing to start" in err
    assert "POSADA_SECRET_KEY" in err and "POSADA_GUEST_KEYS" in err and "POSADA_GUEST_INDEX_KEY" in err
