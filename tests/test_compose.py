"""docker-compose.yml parses with Debian's docker-compose (no engine runs here), given an env file
that fills in every variable deploy/.env.example lists (the header's ``--env-file deploy/.env``)."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_compose_file_parses_and_names_the_stack(tmp_path: Path) -> None:
    exe = shutil.which("docker-compose")
    assert exe, "docker-compose is required (Debian package docker-compose; .ci/run installs it)"
    names = [line.split("=", 1)[0] for line in (ROOT / "deploy" / ".env.example").read_text().splitlines()
             if "=" in line and not line.lstrip().startswith("#")]
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{name}=test\n" for name in names))
    out = subprocess.run([exe, "--env-file", str(env_file), "-f", str(ROOT / "docker-compose.yml"),
                          "config", "--services"],
                         capture_output=True, text=True, check=True, timeout=60, cwd=ROOT)
    services = set(out.stdout.split())
    assert {"mosquitto", "postgres", "cloud", "floor-f1", "floor-f2", "influxdb", "grafana"} <= services
