"""The node serves its desk over HTTPS when given a certificate and its key (both or neither),
and the session cookie it sets there is Secure."""

from __future__ import annotations

import socket
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cloud.node.seal import public_b64
from mqtt.node_messages import NodeReplica, ReplicaAccess
from node.app import NodeSettings, PropertyNode, serve_desk
from tests.node.test_pages import CLOUD, PASSWORD, staff_member


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "desk.crt", directory / "desk.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_settings_take_a_certificate_and_its_key_or_neither(tmp_path: Path) -> None:
    base = {"POSADA_NODE_MQTT_URL": "mqtt://x", "POSADA_NODE_SITE": "hotel", "POSADA_NODE_NAME": "desk-pc"}
    cert, key = _certificate(tmp_path)
    with pytest.raises(ValueError, match="both"):
        NodeSettings.from_env({**base, "POSADA_NODE_TLS_CERT": str(cert)})
    with pytest.raises(ValueError, match="no file"):
        NodeSettings.from_env({**base, "POSADA_NODE_TLS_CERT": str(cert), "POSADA_NODE_TLS_KEY": "/nope.key"})
    with pytest.raises(ValueError, match="host:port"):
        NodeSettings.from_env({**base, "POSADA_NODE_HTTP": "nowhere"})
    settings = NodeSettings.from_env(
        {
            **base,
            "POSADA_NODE_TLS_CERT": str(cert),
            "POSADA_NODE_TLS_KEY": str(key),
            "POSADA_NODE_HTTP": "127.0.0.1:1",
        }
    )
    assert (settings.tls_cert, settings.tls_key) == (cert, key)


def test_the_desk_is_served_over_https_with_a_secure_session_cookie(tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    port = _free_port()
    node = PropertyNode(
        NodeSettings(
            mqtt_url="mqtt://127.0.0.1:9",
            site="hotel",
            node="desk-pc",
            data_dir=tmp_path / "node",
            http=f"127.0.0.1:{port}",
            tls_cert=cert,
            tls_key=key,
        )
    )
    node.status.replica_received(
        NodeReplica(
            as_of=datetime.now(UTC),
            first_night=date.today(),
            days=7,
            version=1,
            seal_key=public_b64(CLOUD),
            access=ReplicaAccess(staff=[staff_member(node, "ana", PASSWORD)]),
        )
    )
    server = serve_desk(node)
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started
        with httpx.Client(base_url=f"https://localhost:{port}", verify=str(cert)) as client:
            form = client.get("/signin")
            assert form.status_code == 200
            token = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            answer = client.post(
                "/signin", data={"csrf_token": token, "username": "ana", "password": PASSWORD}
            )
            assert answer.status_code == 303
            cookie = answer.headers["set-cookie"]
            assert (
                "posada_node_session=" in cookie
                and "secure" in cookie.lower()
                and "httponly" in cookie.lower()
            )
            assert client.get("/").status_code == 200
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://localhost:{port}/signin", timeout=5)  # no plain HTTP beside it
    finally:
        server.should_exit = True
        deadline = time.monotonic() + 10
        while _listening(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        node.outbox.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
