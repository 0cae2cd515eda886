"""A real Mosquitto for tests: own port, the project's config, password file and ACL."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from mqtt.node_topics import node_user
from provisioning.broker import CLOUD_USER, Account, gateway_user, write_broker_files
from tests.support.ports import free_port, wait_for_port

FLOORS = [("hotel", "f1"), ("hotel", "f2"), ("hotel", "f3"), ("annex", "g")]
NODES = (("hotel", "desk-pc"),)  # property nodes with an account
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


@dataclass
class Mosquitto:
    directory: Path
    port: int
    passwords: dict[str, str]
    floors: list[tuple[str, str]]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def url(self, username: str) -> str:
        return f"mqtt://{username}:{self.passwords[username]}@127.0.0.1:{self.port}"

    @property
    def cloud_url(self) -> str:
        return self.url(CLOUD_USER)

    def gateway_url(self, site: str, floor: str) -> str:
        return self.url(gateway_user(site, floor))

    def start(self) -> None:
        if not Path(MOSQUITTO).exists():
            raise RuntimeError(f"mosquitto binary not found at {MOSQUITTO}: install Debian's mosquitto")
        log = open(self.directory / "broker.log", "ab")  # noqa: SIM115 (lives as long as the process)
        self.process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.directory / "mosquitto.conf")], stdout=log, stderr=log
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def make_broker(*, floors: list[tuple[str, str]] | None = None, persistence: bool = True,
                nodes: tuple[tuple[str, str], ...] = NODES) -> Mosquitto:
    floors = floors or FLOORS
    directory = Path(tempfile.mkdtemp(prefix="posada-mosq-"))
    passwords = {CLOUD_USER: "cloud-secret"}
    passwords.update({gateway_user(s, f): f"pw-{s}-{f}" for s, f in floors})
    passwords.update({node_user(s, n): f"pw-{s}-{n}" for s, n in nodes})
    port = free_port()
    write_broker_files(
        directory, floors=floors, port=port, persistence=persistence, nodes=nodes,
        accounts=[Account(u, p) for u, p in passwords.items()],
    )
    broker = Mosquitto(directory=directory, port=port, passwords=passwords, floors=floors)
    broker.start()
    return broker
