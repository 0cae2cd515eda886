"""The compose file's healthchecks, run as written against a real Mosquitto and a local HTTP server."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.deploy.test_compose import services
from tests.support.broker import MOSQUITTO
from tests.support.ports import free_port, wait_for_port


def shell_test(service: str) -> str:
    test = services()[service]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    return str(test[1]).replace("$$", "$")  # compose's escape for a literal $


@pytest.fixture
def broker() -> Iterator[tuple[Path, int]]:
    # Not under pytest's 0700 tmp_path: a broker started as root reads its files as mosquitto.
    tmp_path = Path(tempfile.mkdtemp(prefix="posada-health-"))
    port = free_port()
    done = subprocess.run([sys.executable, "-m", "posada.cli", "provision", "broker", "--out", str(tmp_path),
                           "--floor", "hotel/f1", "--port", str(port), "--bind", "127.0.0.1"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with (tmp_path / "log").open("w") as log:
        process = subprocess.Popen([MOSQUITTO, "-c", str(tmp_path / "mosquitto.conf")],
                                   stdout=log, stderr=log)
    try:
        wait_for_port(port)
        yield tmp_path, port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.service
def test_the_brokers_healthcheck_passes_with_the_probe_account_and_fails_without(
        broker: tuple[Path, int]) -> None:
    directory, port = broker
    command = shell_test("mosquitto").replace("/mosquitto/config/", f"{directory}/")
    command = command.replace("-p 1883", f"-p {port}")
    healthy = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=30)
    assert healthy.returncode == 0, healthy.stderr
    (directory / "health-password").write_text("wrong\n")
    refused = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=30)
    assert refused.returncode != 0


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
def test_the_clouds_healthcheck_follows_the_health_status(httpserver: HTTPServer, status: int,
                                                          healthy: bool) -> None:
    test = services()["cloud"]["healthcheck"]["test"]
    assert test[0] == "CMD" and test[1] == "python"
    httpserver.expect_request("/health").respond_with_json({"status": "x"}, status=status)
    code = test[3].replace("http://127.0.0.1:8000/health", httpserver.url_for("/health"))
    assert code != test[3], "the healthcheck does not ask the cloud's /health"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert (done.returncode == 0) is healthy, done.stderr
