"""``posada provision broker --ca``, ``cert-request``, ``cert``, ``revoke``: the site's mutual TLS.

On the operator's machine: ``broker --ca DIR`` creates the CA (once) and the broker's certificate;
``cert`` signs a gateway's, desk station's or the cloud's request; ``revoke`` adds one to the list
and, with ``--broker``, cuts its open connection (``provisioning.dynsec``).
On the gateway or desk machine: ``cert-request`` makes its key (it never leaves) and the request.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
from pathlib import Path
from typing import Any

from mqtt.topics import TopicError
from provisioning.broker import CLOUD_USER, TlsListener
from provisioning.dynsec import ADMIN_FILE, BrokerControlError, disable_client, load_control
from provisioning.tls import (
    CA_CERT,
    CRL,
    CertificateAuthority,
    CertificateError,
    floor_identity,
    new_key_and_csr,
    station_identity,
    write_private,
)

COMMANDS = ("cert-request", "cert", "revoke")


def add_arguments(prov_sub: Any, broker: argparse.ArgumentParser) -> None:
    """The TLS options of ``provision broker`` and the three certificate subcommands."""
    broker.add_argument(
        "--ca",
        default=None,
        metavar="DIR",
        help="site CA directory (created if empty): write the mutual-TLS listener, its "
        "certificate and the CA's revocation list; plaintext only with --plaintext",
    )
    broker.add_argument("--tls-port", type=int, default=8883, help="mutual-TLS listener port [8883]")
    broker.add_argument(
        "--hostname",
        action="append",
        default=None,
        help="the broker's name or address as clients dial it (repeat) [localhost]",
    )
    broker.add_argument(
        "--plaintext",
        action="store_true",
        help="with --ca, keep the password listener on --port too (the demo only)",
    )
    broker.add_argument("--control-port", type=int, default=1884,
                        help="with --ca alone, the loopback port on which revoke reaches the broker's "
                        "dynamic-security plugin [1884]")
    request = prov_sub.add_parser(
        "cert-request",
        help="on a gateway or desk machine: its key and a signing request (the key never leaves the machine)",
    )
    _identity_arguments(request)
    request.add_argument("--out", required=True, help="directory for client.key (0600) and client.csr")
    sign = prov_sub.add_parser("cert", help="sign a gateway's, desk station's or the cloud's request")
    _identity_arguments(sign)
    sign.add_argument("--ca", required=True, metavar="DIR", help="the site CA directory")
    sign.add_argument("--csr", required=True, help="the signing request made by cert-request")
    sign.add_argument("--out", required=True, help="file to write the certificate to")
    sign.add_argument("--days", type=int, default=730, help="validity [730]")
    revoke = prov_sub.add_parser(
        "revoke",
        help="revoke an identity's certificates; rewrites crl.pem, and with --broker puts it in "
        "the broker's config directory, has Mosquitto reread it (SIGHUP: no restart) and cuts the "
        "identity's open connection through the dynamic-security plugin (its password too)",
    )
    _identity_arguments(revoke)
    revoke.add_argument("--ca", metavar="DIR", default=None,
                        help="the site CA directory (without it: only the broker account is cut off)")
    revoke.add_argument("--broker", metavar="DIR", type=Path, default=None,
                        help="the broker's config directory (its crlfile is DIR/crl.pem), on this machine")
    revoke.add_argument("--broker-pid", metavar="PID|FILE", default=None,
                        help="Mosquitto's process id, or its pid_file, to send SIGHUP "
                        "(or reload it yourself: systemctl reload mosquitto)")


def _identity_arguments(parser: argparse.ArgumentParser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--floor", metavar="SITE/FLOOR", help="a floor's gateway (CN gw.SITE.FLOOR)")
    who.add_argument("--station", metavar="SITE/STATION", help="a desk station (CN desk.SITE.STATION)")
    who.add_argument("--cloud", action="store_true", help=f"the cloud's ingest (CN {CLOUD_USER})")


def identity_of(args: argparse.Namespace) -> str:
    if args.cloud:
        return CLOUD_USER
    kind, value = ("--floor", args.floor) if args.floor else ("--station", args.station)
    site, _, name = str(value).partition("/")
    if not site or not name:
        raise SystemExit(f"{kind} must be SITE/NAME, got {value!r}")
    try:
        return floor_identity(site, name) if args.floor else station_identity(site, name)
    except TopicError as exc:
        raise SystemExit(f"{kind} {value!r}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    try:
        if args.what == "cert-request":
            return _request(identity_of(args), Path(args.out))
        if args.what == "cert":
            return _sign(
                identity_of(args),
                ca_dir=Path(args.ca),
                csr=Path(args.csr),
                out=Path(args.out),
                days=args.days,
            )
        return _revoke(identity_of(args), ca_dir=Path(args.ca) if args.ca else None, broker=args.broker,
                       pid=args.broker_pid)
    except (CertificateError, OSError, BrokerControlError) as exc:
        raise SystemExit(f"posada provision {args.what}: {exc}") from None


def _request(identity: str, out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    key, csr = new_key_and_csr(identity)
    write_private(out / "client.key", key)
    (out / "client.csr").write_bytes(csr)
    print(f"wrote {out / 'client.key'} (keep it here) and {out / 'client.csr'} (send it to be signed)")
    return 0


def _sign(identity: str, *, ca_dir: Path, csr: Path, out: Path, days: int) -> int:
    ca = CertificateAuthority.load(ca_dir)
    out.write_bytes(ca.sign_request(csr.read_bytes(), identity=identity, days=days))
    print(f"wrote {out} for {identity}; with it goes {ca_dir / CA_CERT} (to check the broker)")
    return 0


def _revoke(identity: str, *, ca_dir: Path | None, broker: Path | None, pid: str | None) -> int:
    if ca_dir is None and broker is None:
        raise SystemExit("posada provision revoke: give --ca (its certificates) or --broker (its connection)")
    if ca_dir is not None:
        _revoke_certificates(identity, ca_dir=ca_dir, broker=broker, pid=pid)
    control = load_control(broker) if broker is not None else None
    if control is not None:
        disable_client(control, identity)
        print(f"cut {identity} off the broker (dynamic-security plugin): its open connection is closed and "
              "its next connect refused")
    elif broker is not None:
        print(f"{broker / ADMIN_FILE} is missing (no dynamic-security plugin): {identity}'s open connection "
              "lasts until it disconnects")
    return 0


def _revoke_certificates(identity: str, *, ca_dir: Path, broker: Path | None, pid: str | None) -> None:
    serials = CertificateAuthority.load(ca_dir).revoke(identity=identity)
    if broker is None:
        print(
            f"revoked {len(serials)} certificate(s) of {identity}; copy {ca_dir / CRL} to the broker's "
            "config directory and reload Mosquitto (SIGHUP: it rereads its crlfile)"
        )
        return
    installed = install_crl(ca_dir / CRL, broker)
    print(f"revoked {len(serials)} certificate(s) of {identity}; wrote {installed}")
    if pid is not None:
        process = reload_broker(pid)
        print(f"sent SIGHUP to Mosquitto ({process}): its next handshake with {identity} is refused")
    else:
        print("reload Mosquitto (SIGHUP, systemctl reload mosquitto) for it to take effect")


def broker_tls(args: argparse.Namespace) -> TlsListener | None:
    """The listener ``provision broker`` asked for (None: passwords only, as before)."""
    if args.ca is None:
        return None
    return TlsListener(port=args.tls_port, bind=args.bind, plaintext=args.plaintext)


def write_broker_tls(directory: Path, *, ca_dir: Path, hostnames: list[str]) -> None:
    """The CA (created once), the broker's own key and certificate, and a copy of CA and CRL."""
    try:
        ca = CertificateAuthority.load_or_create(ca_dir)
        key, cert = ca.server_certificate(hostnames=hostnames)
    except CertificateError as exc:
        raise SystemExit(f"posada provision broker: {exc}") from None
    directory.mkdir(parents=True, exist_ok=True)
    write_private(directory / "broker.key", key)
    (directory / "broker.crt").write_bytes(cert)
    shutil.copyfile(ca_dir / CA_CERT, directory / CA_CERT)
    shutil.copyfile(ca_dir / CRL, directory / CRL)


def install_crl(crl: Path, broker: Path) -> Path:
    """Replace the broker's crlfile atomically (a reload never reads half a file), readable by
    the ``mosquitto`` user the broker drops to."""
    target = broker / CRL
    temporary = target.with_name(f".{CRL}.new")
    temporary.write_bytes(crl.read_bytes())
    temporary.chmod(0o644)
    os.replace(temporary, target)
    return target


def reload_broker(pid: str) -> int:
    """SIGHUP to Mosquitto, named by its process id or its pid_file: it rereads its config, TLS
    files and CRL (checked with Mosquitto 2.0.11: a revoked client's next connect is refused;
    ``tests/provisioning/test_broker_tls.py``)."""
    text = Path(pid).read_text().strip() if not pid.isdigit() else pid
    if not text.isdigit():
        raise SystemExit(f"--broker-pid {pid!r}: not a process id or a file holding one")
    os.kill(int(text), signal.SIGHUP)
    return int(text)
