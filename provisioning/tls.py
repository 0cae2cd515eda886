"""A site's certificate authority: the broker's server certificate, one client certificate per
gateway and desk station (its common name is the identity the broker's ACL names), and the
revocation list Mosquitto reads (``crlfile``).

The CA directory holds ``ca.key`` (mode 0600, never leaves the operator's machine), ``ca.crt``,
``crl.pem`` and ``issued.json`` (serial -> identity, expiry, revocation). A client's private key is
made on its own machine (``new_key_and_csr``); only the signing request travels.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from mqtt.credentials import gateway_user
from mqtt.topics import check_slug

CA_KEY, CA_CERT, CRL, ISSUED = "ca.key", "ca.crt", "crl.pem", "issued.json"
CRL_DAYS = 30  # Mosquitto refuses every client once the list is past its next update: re-issue before
CLOCK_SKEW = dt.timedelta(minutes=10)


class CertificateError(ValueError):
    """A request, identity or CA directory that cannot be used; nothing was written."""


def station_identity(site: str, station: str) -> str:
    """A front-desk station's identity (never an MQTT user of the ACL: it may use no topic)."""
    return f"desk.{check_slug(site, 'site')}.{check_slug(station, 'station')}"


def floor_identity(site: str, floor: str) -> str:
    return gateway_user(site, floor)


def private_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_private(path: Path, data: bytes) -> None:
    """Created with mode 0600 before the secret is written into it."""
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    path.write_bytes(data)


def new_key_and_csr(identity: str) -> tuple[bytes, bytes]:
    """A new P-256 key and a signing request for ``identity`` (PEM); run on the client's machine."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, identity)])
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    return private_pem(key), csr.public_bytes(serialization.Encoding.PEM)


@dataclass(frozen=True)
class Issued:
    serial: int
    identity: str
    not_after: str
    revoked_at: str | None = None


class CertificateAuthority:
    """The site's CA, kept in one directory."""

    def __init__(self, directory: Path, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> None:
        self.directory = directory
        self._key = key
        self.cert = cert

    @classmethod
    def load_or_create(
        cls, directory: Path, *, name: str = "Posada site CA", now: dt.datetime | None = None
    ) -> CertificateAuthority:
        now = now or dt.datetime.now(dt.UTC)
        if (directory / CA_KEY).exists():
            return cls.load(directory)
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP384R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (
            _builder(subject, subject, key.public_key(), now=now, days=3650)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(ca=True), critical=True)
            .sign(key, hashes.SHA256())
        )
        write_private(directory / CA_KEY, private_pem(key))
        (directory / CA_CERT).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        ca = cls(directory, key, cert)
        ca.write_crl(now=now)
        return ca

    @classmethod
    def load(cls, directory: Path) -> CertificateAuthority:
        try:
            key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), password=None)
            cert = x509.load_pem_x509_certificate((directory / CA_CERT).read_bytes())
        except (OSError, ValueError) as exc:
            raise CertificateError(f"no usable CA in {directory}: {exc}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise CertificateError(f"{directory / CA_KEY} is not an EC key")
        return cls(directory, key, cert)

    def sign_request(
        self, csr_pem: bytes, *, identity: str, days: int = 730, now: dt.datetime | None = None
    ) -> bytes:
        """A client certificate for ``identity``; the request must name it and be self-signed."""
        csr, public_key = _load_csr(csr_pem, identity=identity)
        cert = self._issue(
            csr.subject, public_key, days=days, now=now, usage=ExtendedKeyUsageOID.CLIENT_AUTH, names=[]
        )
        return cert.public_bytes(serialization.Encoding.PEM)

    def server_certificate(
        self, *, hostnames: list[str], days: int = 825, now: dt.datetime | None = None
    ) -> tuple[bytes, bytes]:
        """The broker's key and certificate (its names in subjectAltName)."""
        if not hostnames:
            raise CertificateError("the broker needs at least one host name or address")
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0])])
        cert = self._issue(
            subject,
            key.public_key(),
            days=days,
            now=now,
            usage=ExtendedKeyUsageOID.SERVER_AUTH,
            names=hostnames,
        )
        return private_pem(key), cert.public_bytes(serialization.Encoding.PEM)

    def revoke(self, *, identity: str, now: dt.datetime | None = None) -> list[int]:
        """Revoke every unrevoked certificate of ``identity``; rewrites ``crl.pem``."""
        now = now or dt.datetime.now(dt.UTC)
        issued = self.issued()
        serials = [i.serial for i in issued if i.identity == identity and i.revoked_at is None]
        if not serials:
            raise CertificateError(f"no valid certificate of {identity!r} was issued by this CA")
        stamp = now.isoformat()
        self._save(
            [
                Issued(i.serial, i.identity, i.not_after, stamp if i.serial in serials else i.revoked_at)
                for i in issued
            ]
        )
        self.write_crl(now=now)
        return serials

    def write_crl(self, *, now: dt.datetime | None = None) -> Path:
        now = now or dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.cert.subject)
            .last_update(now - CLOCK_SKEW)
            .next_update(now + dt.timedelta(days=CRL_DAYS))
        )
        for entry in self.issued():
            if entry.revoked_at is not None:
                builder = builder.add_revoked_certificate(
                    x509.RevokedCertificateBuilder()
                    .serial_number(entry.serial)
                    .revocation_date(dt.datetime.fromisoformat(entry.revoked_at))
                    .build()
                )
        crl = builder.sign(self._key, hashes.SHA256())
        path = self.directory / CRL
        path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        return path

    def issued(self) -> list[Issued]:
        path = self.directory / ISSUED
        if not path.exists():
            return []
        return [Issued(**row) for row in json.loads(path.read_text())]

    def _issue(
        self,
        subject: x509.Name,
        public_key: ec.EllipticCurvePublicKey,
        *,
        days: int,
        now: dt.datetime | None,
        usage: x509.ObjectIdentifier,
        names: list[str],
    ) -> x509.Certificate:
        if not 1 <= days <= 3650:
            raise CertificateError(f"days must be 1..3650, got {days}")
        builder = (
            _builder(subject, self.cert.subject, public_key, now=now or dt.datetime.now(dt.UTC), days=days)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(ca=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if names:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False
            )
        cert = builder.sign(self._key, hashes.SHA256())
        identity = subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        self._save(
            [*self.issued(), Issued(cert.serial_number, str(identity), cert.not_valid_after_utc.isoformat())]
        )
        return cert

    def _save(self, rows: list[Issued]) -> None:
        path = self.directory / ISSUED
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps([r.__dict__ for r in rows], indent=1))
        tmp.replace(path)


def _load_csr(
    csr_pem: bytes, *, identity: str
) -> tuple[x509.CertificateSigningRequest, ec.EllipticCurvePublicKey]:
    try:
        csr = x509.load_pem_x509_csr(csr_pem)
    except ValueError as exc:
        raise CertificateError(f"not a PEM certificate signing request: {exc}") from None
    try:
        valid = csr.is_signature_valid
    except InvalidSignature:
        valid = False
    if not valid:
        raise CertificateError("the signing request's signature does not verify")
    names = [a.value for a in csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if names != [identity] or len(csr.subject) != 1:
        raise CertificateError(f"the request names {csr.subject.rfc4514_string()!r}, expected CN={identity}")
    public_key = csr.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise CertificateError("the request's key is not an EC key")
    return csr, public_key


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    *,
    now: dt.datetime,
    days: int,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not ca,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=not ca,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _general_name(name: str) -> x509.GeneralName:
    import ipaddress

    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)
