"""The site CA: requests are checked before anything is signed; revocation lands in the CRL."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from mqtt.url import parse_mqtt_url
from provisioning.tls import CertificateAuthority, CertificateError, new_key_and_csr, station_identity


def test_a_signed_certificate_names_the_requested_identity_and_verifies(tmp_path: Path) -> None:
    ca = CertificateAuthority.load_or_create(tmp_path / "ca")
    key, csr = new_key_and_csr("gw.hotel.f1")
    cert = x509.load_pem_x509_certificate(ca.sign_request(csr, identity="gw.hotel.f1"))
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "gw.hotel.f1"
    cert.verify_directly_issued_by(ca.cert)
    assert b"PRIVATE KEY" in key and (tmp_path / "ca" / "ca.key").stat().st_mode & 0o077 == 0


def test_a_request_for_another_identity_is_refused_and_nothing_recorded(tmp_path: Path) -> None:
    ca = CertificateAuthority.load_or_create(tmp_path / "ca")
    _, csr = new_key_and_csr("gw.hotel.f2")
    with pytest.raises(CertificateError, match=r"expected CN=gw\.hotel\.f1"):
        ca.sign_request(csr, identity="gw.hotel.f1")
    assert ca.issued() == []


@pytest.mark.parametrize("junk", [b"", b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n", b"\x00\xff" * 40])
def test_junk_instead_of_a_request_is_a_clear_error(tmp_path: Path, junk: bytes) -> None:
    ca = CertificateAuthority.load_or_create(tmp_path / "ca")
    with pytest.raises(CertificateError, match="signing request"):
        ca.sign_request(junk, identity="gw.hotel.f1")


def test_revoking_lists_the_serial_in_the_crl_and_twice_is_an_error(tmp_path: Path) -> None:
    ca = CertificateAuthority.load_or_create(tmp_path / "ca")
    _, csr = new_key_and_csr("desk.hotel.desk-1")
    cert = x509.load_pem_x509_certificate(ca.sign_request(csr, identity=station_identity("hotel", "desk-1")))
    assert ca.revoke(identity="desk.hotel.desk-1") == [cert.serial_number]
    crl = x509.load_pem_x509_crl((tmp_path / "ca" / "crl.pem").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    assert crl.is_signature_valid(ca.cert.public_key())  # type: ignore[arg-type]
    with pytest.raises(CertificateError):
        ca.revoke(identity="desk.hotel.desk-1")


def test_the_ca_is_created_once(tmp_path: Path) -> None:
    first = CertificateAuthority.load_or_create(tmp_path / "ca")
    assert CertificateAuthority.load_or_create(tmp_path / "ca").cert == first.cert


def test_mqtts_urls_carry_the_tls_files() -> None:
    address = parse_mqtt_url("mqtts://broker?ca=/c/ca.crt&cert=/c/gw.crt&key=/c/gw.key")
    assert (address.tls, address.port, address.ca_file, address.cert_file, address.key_file) == (
        True,
        8883,
        "/c/ca.crt",
        "/c/gw.crt",
        "/c/gw.key",
    )
    with pytest.raises(ValueError, match="both"):
        parse_mqtt_url("mqtts://broker?cert=/c/gw.crt")
    with pytest.raises(ValueError, match="mqtts"):
        parse_mqtt_url("mqtt://broker?ca=/c/ca.crt")
