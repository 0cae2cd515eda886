"""A gateway's client certificate settings: checked together, carried to the broker address."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from edge.config import broker_address, load_config
from edge.desk.client import DeskClient
from edge.desk.main import build
from edge.errors import ConfigError
from provisioning.tls import CertificateAuthority, new_key_and_csr, write_private

BASE = {"site": "hotel", "floor": "f1", "rooms": ["101"], "site_number": 1, "floor_number": 1}


def test_the_client_certificate_reaches_the_broker_address(tmp_path: Path) -> None:
    config = load_config(
        env={},
        overrides={
            **BASE,
            "data_dir": tmp_path,
            "mqtt_url": "mqtts://broker",
            "mqtt_ca_file": "/c/ca.crt",
            "mqtt_cert_file": "/c/gw.crt",
            "mqtt_key_file": "/c/gw.key",
        },
    )
    address = broker_address(config)
    assert (address.tls, address.port, address.ca_file, address.cert_file, address.key_file) == (
        True,
        8883,
        "/c/ca.crt",
        "/c/gw.crt",
        "/c/gw.key",
    )


@pytest.mark.parametrize(
    "settings",
    [
        {"mqtt_url": "mqtts://broker", "mqtt_cert_file": "/c/gw.crt"},
        {"mqtt_url": "mqtt://broker", "mqtt_cert_file": "/c/gw.crt", "mqtt_key_file": "/c/gw.key"},
        {"mqtt_url": "mqtt://broker?cert=/c/gw.crt&key=/c/gw.key"},
    ],
)
def test_half_a_client_certificate_or_one_without_tls_is_refused(
    tmp_path: Path, settings: dict[str, str]
) -> None:
    with pytest.raises(ConfigError):
        load_config(env={}, overrides={**BASE, "data_dir": tmp_path, **settings})


def test_a_desk_station_presents_its_certificate(tmp_path: Path) -> None:
    ca = CertificateAuthority.load_or_create(tmp_path / "ca")
    key, csr = new_key_and_csr("desk.hotel.desk-1")
    write_private(tmp_path / "desk.key", key)
    (tmp_path / "desk.crt").write_bytes(ca.sign_request(csr, identity="desk.hotel.desk-1"))
    client = DeskClient(
        url="https://cloud.example",
        token="t",
        site="hotel",
        station="desk-1",
        client_cert=(str(tmp_path / "desk.crt"), str(tmp_path / "desk.key")),
        ca_file=str(tmp_path / "ca" / "ca.crt"),
    )
    client.close()
    half = argparse.Namespace(client_cert=tmp_path / "desk.crt", client_key=None, ca_file=None)
    with pytest.raises(SystemExit, match="go together"):
        build(half)
    (tmp_path / "token").write_text("desk-token")
    missing = argparse.Namespace(
        client_cert=tmp_path / "none.crt",
        client_key=tmp_path / "none.key",
        ca_file=None,
        url="https://cloud.example",
        site="hotel",
        station="desk-1",
        token_file=tmp_path / "token",
    )
    with pytest.raises(SystemExit, match="cannot use the TLS files"):
        build(missing)
