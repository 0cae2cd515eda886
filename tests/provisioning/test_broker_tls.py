"""Mutual TLS against a real Mosquitto started with what ``posada provision broker --ca`` writes:
a gateway is known by its certificate, held to its own floor's topics; a revoked certificate, one
from another CA and plaintext are refused."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud.ingest.link import CloudLink, Inbound
from edge.app import Gateway
from edge.config import load_config
from posada.cli import main as posada
from provisioning.dynsec import find_plugin
from provisioning.tls import CertificateAuthority, new_key_and_csr
from tests.edge.cloud_peer import wait_until
from tests.support.broker import MOSQUITTO
from tests.support.ports import free_port, wait_for_port

pytestmark = pytest.mark.service


@dataclass
class Site:
    root: Path
    tls_port: int
    plain_port: int
    broker_pid: int = 0

    def client(self, name: str) -> tuple[Path, Path]:
        return self.root / name / "client.crt", self.root / name / "client.key"

    def url(self, name: str) -> str:
        cert, key = self.client(name)
        return f"mqtts://localhost:{self.tls_port}?ca={self.root / 'ca' / 'ca.crt'}&cert={cert}&key={key}"


def _issue(root: Path, name: str, *who: str) -> None:
    assert posada(["provision", "cert-request", *who, "--out", str(root / name)]) == 0
    assert (
        posada(
            [
                "provision",
                "cert",
                *who,
                "--ca",
                str(root / "ca"),
                "--csr",
                str(root / name / "client.csr"),
                "--out",
                str(root / name / "client.crt"),
            ]
        )
        == 0
    )


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    root = Path(tempfile.mkdtemp(prefix="posada-tls-"))
    root.chmod(0o755)  # Mosquitto started as root reads its files as the mosquitto user
    ports = Site(root, free_port(), free_port())
    assert (
        posada(
            [
                "provision",
                "broker",
                "--out",
                str(root / "broker"),
                "--floor",
                "hotel/f1",
                "--floor",
                "hotel/f2",
                "--floor",
                "hotel/f3",
                "--control-port",
                str(free_port()),
                "--port",
                str(ports.plain_port),
                "--bind",
                "127.0.0.1",
                "--ca",
                str(root / "ca"),
                "--tls-port",
                str(ports.tls_port),
                "--hostname",
                "localhost",
            ]
        )
        == 0
    )
    _issue(root, "f1", "--floor", "hotel/f1")
    _issue(root, "f2", "--floor", "hotel/f2")
    _issue(root, "f3", "--floor", "hotel/f3")
    _issue(root, "cloud", "--cloud")
    _issue(root, "desk", "--station", "hotel/d1")
    assert posada(["provision", "revoke", "--floor", "hotel/f2", "--ca", str(root / "ca")]) == 0
    shutil.copyfile(root / "ca" / "crl.pem", root / "broker" / "crl.pem")  # as the operator would
    other = CertificateAuthority.load_or_create(root / "other-ca")
    key, csr = new_key_and_csr("gw.hotel.f1")
    (root / "forged").mkdir()
    (root / "forged" / "client.key").write_bytes(key)
    (root / "forged" / "client.crt").write_bytes(other.sign_request(csr, identity="gw.hotel.f1"))
    log = (root / "broker.log").open("ab")
    broker = subprocess.Popen(
        [MOSQUITTO, "-c", str(root / "broker" / "mosquitto.conf")], stdout=log, stderr=log
    )
    wait_for_port(ports.tls_port)
    ports.broker_pid = broker.pid
    yield ports
    broker.terminate()
    broker.wait(timeout=10)
    log.close()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def cloud(site: Site) -> Iterator[CloudLink]:
    link = CloudLink(site.url("cloud"), client_id="tls-test-cloud")
    link.start()
    wait_until(link.connected.is_set, timeout=10, what="the cloud's TLS connection")
    yield link
    link.stop()


def _pub(site: Site, name: str, topic: str, message: str) -> int:
    cert, key = site.client(name)
    return subprocess.run(
        [
            "mosquitto_pub",
            "-h",
            "localhost",
            "-p",
            str(site.tls_port),
            "--cafile",
            str(site.root / "ca" / "ca.crt"),
            "--cert",
            str(cert),
            "--key",
            str(key),
            "-t",
            topic,
            "-m",
            message,
            "-q",
            "1",
        ],
        capture_output=True,
        timeout=10,
        check=False,
    ).returncode


def _drain(link: CloudLink, *, until: str) -> list[Inbound]:
    """Messages up to and including the payload ``until`` (a marker published last)."""
    seen: list[Inbound] = []
    while True:
        message = link.inbox.get(timeout=10)
        link.ack(message.mid, message.qos)
        seen.append(message)
        if message.payload == until.encode():
            return seen


def test_a_gateway_with_its_certificate_publishes_on_its_own_floor(
    site: Site, cloud: CloudLink, tmp_path: Path
) -> None:
    cert, key = site.client("f1")
    config = load_config(
        env={},
        overrides={
            "site": "hotel",
            "floor": "f1",
            "rooms": ["101"],
            "data_dir": tmp_path,
            "site_number": 1,
            "floor_number": 1,
            "trust_system_clock": True,
            "reconnect_min_s": 1,
            "reconnect_max_s": 1,
            "mqtt_url": f"mqtts://localhost:{site.tls_port}",
            "mqtt_ca_file": site.root / "ca" / "ca.crt",
            "mqtt_cert_file": cert,
            "mqtt_key_file": key,
        },
    )
    gateway = Gateway(config)
    gateway.start()
    try:
        wait_until(gateway.link.online.is_set, timeout=10, what="the gateway's TLS connection")
        entry = gateway.record("tamper", {"room": "101", "detail": "over mutual tls"})
        found: list[str] = []
        while entry.id not in found:
            message = cloud.inbox.get(timeout=10)
            cloud.ack(message.mid, message.qos)
            if message.topic == "posada/v1/hotel/f1/events":
                found += [e.get("id", "") for e in _envelopes(message.payload)]
    finally:
        gateway.stop()


def _envelopes(payload: bytes) -> list[dict[str, str]]:
    body = json.loads(payload)
    return body if isinstance(body, list) else [body]


def test_a_gateway_cannot_publish_another_floors_topics(site: Site, cloud: CloudLink) -> None:
    assert _pub(site, "f1", "posada/v1/hotel/f2/events", "forged by f1") == 0  # 3.1.1: dropped silently
    assert _pub(site, "f1", "posada/v1/hotel/f1/ack", "marker-f1") == 0
    payloads = [m.payload for m in _drain(cloud, until="marker-f1")]
    assert b"forged by f1" not in payloads


def test_a_revoked_certificate_is_refused(site: Site) -> None:
    assert _pub(site, "f2", "posada/v1/hotel/f2/events", "revoked") != 0


def test_a_certificate_from_another_ca_is_refused(site: Site) -> None:
    assert _pub(site, "forged", "posada/v1/hotel/f1/events", "other ca") != 0


def test_plaintext_is_refused_when_tls_only(site: Site) -> None:
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", site.plain_port), timeout=1).close()
    plain = subprocess.run(
        ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(site.tls_port), "-t", "x", "-m", "y"],
        capture_output=True,
        timeout=10,
        check=False,
    )
    assert plain.returncode != 0


def test_a_certificate_revoked_while_the_broker_runs_is_refused_at_its_next_connect(site: Site) -> None:
    """``revoke --broker --broker-pid`` installs the CRL and reloads Mosquitto: no restart."""
    assert _pub(site, "desk", "posada/v1/hotel/d1/status", "before") == 0
    ca = str(site.root / "ca")
    broker = str(site.root / "broker")
    assert posada(["provision", "revoke", "--station", "hotel/d1", "--ca", ca, "--broker", broker,
                   "--broker-pid", str(site.broker_pid)]) == 0
    refused = False
    for _ in range(20):  # the broker handles SIGHUP in its next loop turn
        refused = _pub(site, "desk", "posada/v1/hotel/d1/status", "after") != 0
        if refused:
            break
    assert refused
    assert _pub(site, "f1", "posada/v1/hotel/f1/ack", "still-in") == 0  # the others stay in



@pytest.mark.skipif(find_plugin() is None, reason="Mosquitto's dynamic-security plugin")
def test_a_connected_gateway_whose_certificate_is_revoked_is_cut_off(site: Site) -> None:
    """A reloaded CRL alone leaves an open TLS session up; ``revoke --broker`` closes it too."""
    cut, up = threading.Event(), threading.Event()
    cert, key = site.client("f3")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="f3-revocation")
    client.tls_set(ca_certs=str(site.root / "ca" / "ca.crt"), certfile=str(cert), keyfile=str(key))
    client.reconnect_delay_set(min_delay=1, max_delay=1)
    client.on_connect = lambda _c, _u, _f, reason, _p: None if reason.is_failure else up.set()
    client.on_disconnect = lambda *_a: cut.set()
    client.connect("localhost", site.tls_port, keepalive=60)
    client.loop_start()
    try:
        assert up.wait(10)
        back = threading.Event()
        client.on_connect = lambda _c, _u, _f, reason, _p: back.set() if not reason.is_failure else None
        cut.clear()
        assert posada(["provision", "revoke", "--floor", "hotel/f3", "--ca", str(site.root / "ca"),
                       "--broker", str(site.root / "broker"), "--broker-pid", str(site.broker_pid)]) == 0
        assert cut.wait(3.0), "the revoked gateway's TLS session is still up"
        assert not back.wait(3.0)  # it retries every second: the CRL refuses the handshake
        assert _pub(site, "f3", "posada/v1/hotel/f3/status", "after") != 0
        assert _pub(site, "f1", "posada/v1/hotel/f1/ack", "still-in") == 0
    finally:
        client.loop_stop()
        client.disconnect()
