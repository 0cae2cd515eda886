"""``posada provision broker``: credentials, ACL and config for a site's Mosquitto."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Literal

from mqtt.topics import TopicError
from provisioning.broker import (
    CLOUD_USER,
    CONTAINER_PATHS,
    HEALTH_PASSWORD_FILE,
    HEALTH_USER,
    Account,
    Revocation,
    TlsListener,
    gateway_user,
    write_broker_files,
)
from provisioning.dynsec import ADMIN_FILE, CONFIG_FILE, IMAGE_PLUGIN, find_plugin, load_control

Target = Literal["host", "compose"]


def parse_floors(floors: list[str]) -> list[tuple[str, str]]:
    """``SITE/FLOOR`` items, every one checked before anything is written."""
    parsed: list[tuple[str, str]] = []
    for item in floors:
        site, _, floor = item.partition("/")
        if not site or not floor:
            raise SystemExit(f"--floor must be SITE/FLOOR, got {item!r}")
        try:
            gateway_user(site, floor)
        except TopicError as exc:
            raise SystemExit(f"--floor {item!r}: {exc}") from None
        parsed.append((site, floor))
    if len(set(parsed)) != len(parsed):
        raise SystemExit("--floor: a floor is given more than once")
    return parsed


def provision_broker(*, out: str, floors: list[str], port: int, bind: str, target: Target = "host",
                     tls: TlsListener | None = None, ca_dir: str | None = None,
                     hostnames: list[str] | None = None, control_port: int = 1884) -> int:
    """Write the broker's files; ``target`` says where Mosquitto reads them: this machine's paths
    (``host``) or the eclipse-mosquitto container's (``compose``: the directory is mounted at
    /mosquitto/config, persistence and the dynamic-security plugin's file go to the data volume at
    /mosquitto/data, where the broker's command copies the provisioned file). With ``tls`` (and
    its ``ca_dir``), the mutual-TLS listener and its certificates too."""
    parsed = parse_floors(floors)
    directory = Path(out)
    if tls is not None:
        from provisioning.tls_cli import write_broker_tls

        write_broker_tls(directory, ca_dir=Path(ca_dir or directory / "ca"),
                         hostnames=hostnames or ["localhost"])
    passwords = tls is None or tls.plaintext
    accounts = [Account(CLOUD_USER, secrets.token_urlsafe(24))]
    accounts += [Account(gateway_user(s, f), secrets.token_urlsafe(24)) for s, f in parsed]
    health = Account(HEALTH_USER, secrets.token_urlsafe(24))
    revocation = _revocation(directory, target=target, control_port=control_port, passwords=passwords)
    conf = write_broker_files(directory, floors=parsed, accounts=[*accounts, health] if passwords else [],
                              port=port, bind=bind, paths=CONTAINER_PATHS if target == "compose" else None,
                              health=passwords, tls=tls, revocation=revocation)
    print(f"wrote {conf}, {directory / 'acl'}")
    if revocation is not None:
        listening = bind if bind not in ("0.0.0.0", "::", "") else "127.0.0.1"
        host, control_port = (listening, port) if passwords else ("127.0.0.1", revocation.control_port)
        _private(directory / ADMIN_FILE, json.dumps({"host": host, "port": control_port,
                                                     "password": revocation.admin_password}) + "\n")
        print(f"dynamic-security plugin: posada provision revoke --broker {directory} cuts a revoked client "
              f"off at once (its admin's password: {directory / ADMIN_FILE})")
        if target == "compose":
            print(f"the stack's broker copies {CONFIG_FILE} to its data volume on first start and keeps "
                  f"its list of revoked clients there; revoke reaches it at {host}:{control_port} "
                  "(its published port)")
    if tls is not None:
        plain = f"on port {port}" if tls.plaintext else "off"
        print(f"mutual TLS on port {tls.port}: clients present a certificate of this CA "
              f"(posada provision cert-request / cert); plaintext {plain}")
    if passwords:
        _write_secrets(directory, accounts, health)
    return 0


def _revocation(directory: Path, *, target: Target, control_port: int,
                passwords: bool) -> Revocation | None:
    """The plugin where the broker runs; the admin's password kept when provisioned again."""
    if target == "compose":
        if not passwords:  # its control listener would be the container's loopback, out of the host's reach
            print("note: the compose stack's broker loads the dynamic-security plugin only with its password "
                  "listener: a revoked client's open connection lasts until it disconnects")
            return None
        plugin: str | None = IMAGE_PLUGIN  # the image's; its file on the data volume (CONTAINER_PATHS)
    else:
        plugin = find_plugin()
    if plugin is None:
        print("warning: Mosquitto's dynamic-security plugin is not installed here: a revoked client's "
              "open connection will last until it disconnects (install mosquitto 2 and provision again)")
        return None
    known = load_control(directory) if (directory / CONFIG_FILE).exists() else None
    return Revocation(plugin=plugin, admin_password=known.password if known else secrets.token_urlsafe(24),
                      control_port=control_port)


def _write_secrets(directory: Path, accounts: list[Account], health: Account) -> None:
    _private(directory / HEALTH_PASSWORD_FILE, health.password + "\n")
    secrets_file = directory / "credentials.txt"
    _private(secrets_file, "".join(f"{a.username} {a.password}\n" for a in accounts))
    print(f"plain-text credentials for the cloud and each gateway: {secrets_file} (move them to their hosts)")
    print(f"the health probe's password ({HEALTH_USER}, may only subscribe to a topic nothing publishes): "
          f"{directory / HEALTH_PASSWORD_FILE}")


def _private(path: Path, text: str) -> None:
    """Created with mode 0600 before the secret is written into it."""
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    path.write_text(text)


def provision_systemd(*, out: str, site: str, posada: str | None, user: str, config_dir: str) -> int:
    """``posada provision systemd``: units for the cloud, the floors' gateways and the desks."""
    import sys
    from pathlib import PurePosixPath

    from provisioning.systemd import UnitOptions, write_units

    command = PurePosixPath(posada) if posada else PurePosixPath(sys.prefix) / "bin" / "posada"
    try:
        options = UnitOptions(posada=command, site=site, user=user, config_dir=PurePosixPath(config_dir))
    except (ValueError, TopicError) as exc:
        raise SystemExit(f"posada provision systemd: {exc}") from None
    if posada is None and not Path(str(command)).is_file():
        raise SystemExit(f"posada provision systemd: {command} does not exist; give --posada PATH")
    for path in write_units(Path(out), options):
        print(path)
    print(f"install: cp {out}/*.service /etc/systemd/system/ && "
          f"cp {out}/posada.sysusers.conf /etc/sysusers.d/posada.conf && systemd-sysusers && "
          "systemctl daemon-reload; then, with the env files in place: systemctl enable --now "
          "posada-cloud, posada-edge@FLOOR, posada-desk@STATION")
    return 0
