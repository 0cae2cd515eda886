"""docker-compose.yml parses with Debian's docker-compose (no engine runs here)."""

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_parses_and_names_the_stack() -> None:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is required (Debian package docker-compose; .ci/run installs it)"
    env = os.environ | {k: "test" for k in ("POSTGRES_PASSWORD", "MQTT_CLOUD_PASSWORD", "POSADA_SECRET_KEY",
                                             "MQTT_F1_PASSWORD", "MQTT_F2_PASSWORD", "INFLUX_TOKEN",
                                             "INFLUX_PASSWORD", "GRAFANA_ADMIN_PASSWORD")}
    out = subprocess.run([exe, "-f", str(ROOT / "docker-compose.yml"), "config", "--services"],
                         capture_output=True, text=True, env=env, check=True, timeout=60)
    services = set(out.stdout.split())
    assert {"mosquitto", "postgres", "cloud", "floor-f1", "floor-f2", "influxdb", "grafana"} <= services
