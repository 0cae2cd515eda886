"""The compose stack's broker, run on this machine: no container engine runs here, so the broker
service's own command (``sh -c``: seed the plugin's file on the data volume, exec mosquitto) runs
with the host's mosquitto, on the config ``posada provision broker --target compose`` writes, with
the container's two mounts (/mosquitto/config, read-only; /mosquitto/data) moved to a temporary
directory and the image's plugin path to this machine's. A revoke through the admin file that
provisioning wrote cuts a connected gateway off, and the plugin keeps its list on the data volume."""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from posada.cli import main as posada
from provisioning.dynsec import ADMIN_FILE, CONFIG_FILE, IMAGE_PLUGIN, find_plugin
from tests.deploy.test_compose import broker_script, header
from tests.provisioning.test_broker_revocation import CUT_WITHIN_S, Broker, Gateway, _refused
from tests.support.broker import MOSQUITTO
from tests.support.ports import free_port, wait_for_port


def _mosquitto_user() -> bool:
    try:
        pwd.getpwnam("mosquitto")
    except KeyError:
        return False
    return True


pytestmark = [
    pytest.mark.service,
    # in CI (which installs the plugin and runs as root) a missing piece fails the test instead
    pytest.mark.skipif(find_plugin() is None and not os.environ.get("CI"),
                       reason="Mosquitto's dynamic-security plugin"),
    # the image's broker starts as root (its command chowns the seeded file) and drops to mosquitto
    pytest.mark.skipif((os.geteuid() != 0 or not _mosquitto_user()) and not os.environ.get("CI"),
                       reason="root and a mosquitto user"),
]
CONTAINER_CONFIG, CONTAINER_DATA = "/mosquitto/config", "/mosquitto/data"


@dataclass
class Stack:
    config: Path
    data: Path
    broker: Broker
    script: str
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(["sh", "-c", self.script], stdout=log, stderr=log)
        wait_for_port(self.broker.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # the script exec'd mosquitto: this is the broker
            self.process.wait(timeout=10)
            self.process = None


def _on_this_machine(text: str, config: Path, data: Path) -> str:
    return text.replace(CONTAINER_CONFIG, str(config)).replace(CONTAINER_DATA, str(data))


@pytest.fixture
def stack() -> Iterator[Stack]:
    root = Path(tempfile.mkdtemp(prefix="posada-compose-broker-"))
    root.chmod(0o755)
    config, data = root / "config", root / "data"
    args = header().split("posada provision broker ", 1)[1].split("\n", 1)[0].split()
    args[args.index("--out") + 1] = str(config)
    assert posada(["provision", "broker", *args]) == 0
    port = free_port()
    conf = (config / "mosquitto.conf").read_text()
    assert f"plugin {IMAGE_PLUGIN}\n" in conf and "listener 1883 0.0.0.0\n" in conf
    conf = conf.replace(f"plugin {IMAGE_PLUGIN}\n", f"plugin {find_plugin()}\n")
    conf = conf.replace("listener 1883 0.0.0.0\n", f"listener {port} 127.0.0.1\n")
    (config / "mosquitto.conf").write_text(_on_this_machine(conf, config, data))
    admin = json.loads((config / ADMIN_FILE).read_text())
    assert (admin["host"], admin["port"]) == ("127.0.0.1", 1883)  # the published port, on the host
    (config / ADMIN_FILE).write_text(json.dumps({**admin, "port": port}))
    config.chmod(0o555)  # the broker's user may not write it, as in the read-only mount
    data.mkdir()
    entry = pwd.getpwnam("mosquitto")
    os.chown(data, entry.pw_uid, entry.pw_gid)  # what the image's entrypoint does to /mosquitto
    script = _on_this_machine(broker_script(), config, data).replace("exec mosquitto ", f"exec {MOSQUITTO} ")
    lines = (config / "credentials.txt").read_text().split("\n")
    passwords = dict(line.split(" ", 1) for line in lines if line)
    stack = Stack(config, data, Broker(config, port, passwords), script, root / "broker.log")
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_the_compose_broker_cuts_a_revoked_gateway_and_keeps_its_list_on_the_volume(stack: Stack) -> None:
    provisioned = (stack.config / CONFIG_FILE).read_text()
    live = stack.data / CONFIG_FILE
    assert live.read_text() == provisioned, "the broker's command did not seed the plugin's file"
    assert live.stat().st_uid == pwd.getpwnam("mosquitto").pw_uid
    revoked, kept = Gateway(stack.broker, "gw.hotel.f1"), Gateway(stack.broker, "gw.hotel.f2")
    try:
        assert posada(["provision", "revoke", "--floor", "hotel/f1", "--broker", str(stack.config)]) == 0
        assert revoked.cut.wait(CUT_WITHIN_S), "the revoked gateway is still connected"
        assert not revoked.back.wait(3.0)
        assert kept.client.is_connected() and not kept.cut.is_set()
    finally:
        revoked.stop()
        kept.stop()
    assert "gw.hotel.f1" in live.read_text(), "the plugin did not save its list on the data volume"
    assert (stack.config / CONFIG_FILE).read_text() == provisioned
    stack.stop()
    stack.start()  # a restarted container: the volume's file is kept, not seeded again
    assert "gw.hotel.f1" in live.read_text()
    assert _refused(stack.broker, "gw.hotel.f1") and not _refused(stack.broker, "gw.hotel.f2")
