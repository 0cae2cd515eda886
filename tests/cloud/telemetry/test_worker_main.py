import subprocess
import sys


def run(*args, env=None):
    import os

    base = {k: v for k, v in os.environ.items() if not k.startswith("POSADA_")}
    return subprocess.run([sys.executable, "-m", "cloud.telemetry.worker", *args],
                          capture_output=True, text=True, timeout=60, env={**base, **(env or {})})


def test_help_lists_the_settings_it_reads():
    done = run("--help")
    assert done.returncode == 0
    assert "POSADA_MQTT_URL" in done.stdout and "--client-id" in done.stdout


def test_missing_broker_url_is_a_clear_error():
    done = run()
    assert done.returncode == 2
    assert "POSADA_MQTT_URL is required" in done.stderr


def test_unreachable_broker_exits_with_a_clear_error(tmp_path):
    from tests.support.ports import free_port

    done = run(env={"POSADA_MQTT_URL": f"mqtt://127.0.0.1:{free_port()}",
                    "POSADA_DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"})
    assert done.returncode == 1
    assert "cannot start" in done.stderr
