"""Broker credentials and ACL for a site: Mosquitto password file, ACL file and config.

A gateway may publish only under its own ``{site}/{floor}`` and read only its own ``cmd``;
the cloud reads everything edge-bound and may publish only commands.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath

from mqtt.credentials import PBKDF2_ITERATIONS, gateway_acl, gateway_user, hash_password
from mqtt.node_topics import NODE_WRITES, node_acl
from mqtt.topics import PREFIX
from provisioning.dynsec import CONFIG_FILE, initial_config, plugin_lines

__all__ = ["PBKDF2_ITERATIONS", "Account", "gateway_acl", "gateway_user", "hash_password"]

CLOUD_USER = "posada-cloud"
HEALTH_USER = "posada-health"  # connects and subscribes to HEALTH_TOPIC only: a liveness probe
HEALTH_TOPIC = "posada/health"
HEALTH_PASSWORD_FILE = "health-password"


@dataclass(frozen=True)
class Account:
    username: str
    password: str


def cloud_acl() -> list[str]:
    reads = ["status", "events", "ack", "rooms/+/state", "rooms/+/telemetry"]
    lines = [f"user {CLOUD_USER}"]
    lines += [f"topic read {PREFIX}/+/+/{r}" for r in reads]
    lines.append(f"topic write {PREFIX}/+/+/cmd")
    lines += [f"topic read {PREFIX}/+/nodes/+/{r}" for r in NODE_WRITES]  # property nodes
    lines.append(f"topic write {PREFIX}/+/nodes/+/cmd")
    return lines


def health_acl() -> list[str]:
    return [f"user {HEALTH_USER}", f"topic read {HEALTH_TOPIC}"]


def acl_text(floors: Iterable[tuple[str, str]], *, health: bool = False,
             nodes: Iterable[tuple[str, str]] = ()) -> str:
    blocks = [cloud_acl()] + [gateway_acl(site, floor) for site, floor in floors]
    blocks += [node_acl(site, node) for site, node in nodes]
    blocks += [health_acl()] if health else []
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"


def passwd_text(accounts: Iterable[Account]) -> str:
    return "".join(f"{a.username}:{hash_password(a.password)}\n" for a in accounts)


@dataclass(frozen=True)
class BrokerPaths:
    """Where the broker itself finds its files: the config directory and its persistence directory;
    ``plugin_dir``, where the dynamic-security plugin reads and saves its file (by default the config
    directory, where provisioning writes it)."""

    config_dir: PurePath
    data_dir: PurePath
    plugin_dir: PurePath | None = None


# The eclipse-mosquitto image: config mounted at /mosquitto/config (read-only), the data volume at
# /mosquitto/data; the plugin's file lives on the volume, copied there from the config on first start.
CONTAINER_PATHS = BrokerPaths(PurePosixPath("/mosquitto/config"), PurePosixPath("/mosquitto/data"),
                              plugin_dir=PurePosixPath("/mosquitto/data"))


def host_paths(directory: Path, data_dir: Path | None = None) -> BrokerPaths:
    """Absolute paths on this machine, so the config works whatever directory mosquitto starts in."""
    return BrokerPaths(directory.resolve(), (data_dir or directory).resolve())


@dataclass(frozen=True)
class TlsListener:
    """Mutual TLS on ``port``: a client is known by its certificate's common name (the ACL's user),
    checked against the site CA and its revocation list. ``plaintext`` keeps the password listener
    too (the demo's); otherwise it is not written at all."""

    port: int = 8883
    bind: str = "0.0.0.0"
    plaintext: bool = False


def tls_listener_lines(tls: TlsListener, paths: BrokerPaths) -> list[str]:
    config = paths.config_dir
    return [
        f"listener {tls.port} {tls.bind}",
        f"cafile {config / 'ca.crt'}",
        f"certfile {config / 'broker.crt'}",
        f"keyfile {config / 'broker.key'}",
        f"crlfile {config / 'crl.pem'}",
        "require_certificate true",
        "use_identity_as_username true",
        "tls_version tlsv1.2",
    ]


@dataclass(frozen=True)
class Revocation:
    """The dynamic-security plugin (``plugin``: its path where the broker runs), through which a
    revoked client is cut off; its admin connects on the password listener, or, with TLS only, on
    a listener of its own at ``control_port`` on the loopback address."""

    plugin: str
    admin_password: str
    control_port: int = 1884


def mosquitto_conf(*, port: int, bind: str, paths: BrokerPaths, persistence: bool = True,
                   tls: TlsListener | None = None, revocation: Revocation | None = None) -> str:
    plaintext = tls is None or tls.plaintext
    lines = ["per_listener_settings false"]
    lines += tls_listener_lines(tls, paths) if tls else []
    lines += [f"listener {port} {bind}", f"password_file {paths.config_dir / 'passwd'}"] if plaintext else []
    if revocation is not None:
        lines += [] if plaintext else [f"listener {revocation.control_port} 127.0.0.1"]
        # first: it answers for the users it knows
        lines += plugin_lines(revocation.plugin, paths.plugin_dir or paths.config_dir)
    lines += [
        "allow_anonymous false",
        f"acl_file {paths.config_dir / 'acl'}",
        "max_inflight_messages 1000",
        # The cloud's persistent session must hold a long outage of the ingest worker;
        # gateways republish whatever the cloud has not confirmed, so this is a buffer, not the guarantee.
        "max_queued_messages 200000",
        "max_packet_size 262144",
        f"persistence {'true' if persistence else 'false'}",
        f"persistence_location {paths.data_dir}/",
        "autosave_interval 10",
        "log_type error",
        "log_type warning",
        "log_type notice",
        "log_dest stderr",
    ]
    return "\n".join(lines) + "\n"


def write_broker_files(
    directory: Path,
    *,
    floors: Iterable[tuple[str, str]],
    accounts: Iterable[Account],
    port: int = 1883,
    bind: str = "127.0.0.1",
    persistence: bool = True,
    paths: BrokerPaths | None = None,
    health: bool = False,
    tls: TlsListener | None = None,
    nodes: Iterable[tuple[str, str]] = (),
    revocation: Revocation | None = None,
) -> Path:
    """Write passwd, acl and mosquitto.conf into ``directory``; returns the config path.

    ``paths`` says where the broker will find them (``CONTAINER_PATHS`` when the directory is
    mounted into a container); by default, this directory's absolute path. ``health`` adds the
    probe account (its account must be among ``accounts``). ``tls`` adds the mutual-TLS listener
    (its ``ca.crt``, ``crl.pem``, ``broker.crt`` and ``broker.key`` are written by the caller).
    ``revocation`` loads the dynamic-security plugin (its file and admin: ``write_revocation``).
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "passwd").write_text(passwd_text(accounts))
    (directory / "acl").write_text(acl_text(floors, health=health, nodes=nodes))
    dynsec = directory / CONFIG_FILE
    if revocation is not None and not dynsec.exists():  # kept when provisioned again: it lists the revoked
        dynsec.touch(mode=0o600)
        dynsec.write_text(json.dumps(initial_config(revocation.admin_password), indent=1))
    conf = directory / "mosquitto.conf"
    conf.write_text(mosquitto_conf(port=port, bind=bind, paths=paths or host_paths(directory),
                                   persistence=persistence, tls=tls, revocation=revocation))
    if paths is None:  # a container's broker runs under its own uid: the image sees to its files
        _readable_by_broker(directory)
    return conf


def _readable_by_broker(directory: Path) -> None:
    """Mosquitto started as root drops to the ``mosquitto`` user, which must read these files."""
    try:
        import pwd

        entry = pwd.getpwnam("mosquitto")
    except (ImportError, KeyError):
        return
    if os.geteuid() != 0:
        return
    for path in [directory, *directory.iterdir()]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    directory.chmod(0o750)  # the broker's own: the dynamic-security plugin saves its file beside
