"""mqtts://: the gateway verifies the broker's certificate against its CA file."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from edge.app import Gateway
from provisioning.broker import _readable_by_broker
from tests.edge.cloud_peer import CloudPeer, wait_until
from tests.edge.gateway_factory import make_gateway
from tests.support.broker import Mosquitto, make_broker
from tests.support.ports import free_port, wait_for_port

pytestmark = pytest.mark.service


def _cert(subject: str, *, issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None, ca: bool,
          directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer or (name, key)
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer_name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        san = x509.SubjectAlternativeName([x509.DNSName("localhost")])
        builder = builder.add_extension(san, critical=False)
    cert = builder.sign(issuer_key, hashes.SHA256())
    (directory / f"{subject}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / f"{subject}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert, key


@pytest.fixture
def tls_broker() -> Iterator[tuple[Mosquitto, int]]:
    broker = make_broker()
    broker.stop()
    d = broker.directory
    ca, ca_key = _cert("posada-test-ca", issuer=None, ca=True, directory=d)
    _cert("localhost", issuer=(ca.subject, ca_key), ca=False, directory=d)
    tls_port = free_port()
    with (d / "mosquitto.conf").open("a") as conf:
        conf.write(f"listener {tls_port} 127.0.0.1\ncafile {d}/posada-test-ca.crt\n"
                   f"certfile {d}/localhost.crt\nkeyfile {d}/localhost.key\n")
    _readable_by_broker(d)
    broker.start()
    wait_for_port(tls_port)
    yield broker, tls_port
    broker.stop()
    shutil.rmtree(d, ignore_errors=True)


def test_a_gateway_connects_over_tls_with_its_ca(tls_broker: tuple[Mosquitto, int], tmp_path: Path) -> None:
    broker, tls_port = tls_broker
    peer = CloudPeer(broker.cloud_url, site="hotel", floor="f1")
    password = broker.passwords["gw.hotel.f1"]
    url = f"mqtts://gw.hotel.f1:{password}@localhost:{tls_port}"
    gateway: Gateway = make_gateway(broker, tmp_path, mqtt_url=url,
                                    mqtt_ca_file=broker.directory / "posada-test-ca.crt")
    gateway.start()
    try:
        wait_until(gateway.link.online.is_set, timeout=10, what="TLS connection")
        entry = gateway.record("tamper", {"room": "101", "detail": "over tls"})
        wait_until(lambda: entry.seq in peer.first_seqs(), what="event over TLS")
    finally:
        gateway.stop()
        peer.close()


def test_a_broker_with_an_unknown_certificate_is_refused(
    tls_broker: tuple[Mosquitto, int], tmp_path: Path
) -> None:
    broker, tls_port = tls_broker
    other = tmp_path / "other"
    other.mkdir()
    _cert("someone-else", issuer=None, ca=True, directory=other)
    password = broker.passwords["gw.hotel.f1"]
    url = f"mqtts://gw.hotel.f1:{password}@localhost:{tls_port}"
    gateway = make_gateway(broker, tmp_path / "gw", mqtt_url=url, mqtt_ca_file=other / "someone-else.crt")
    gateway.start()
    try:
        time.sleep(2.5)
        assert not gateway.link.online.is_set()
    finally:
        gateway.stop()
