"""``posada provision broker``: credentials, ACL and config for a site's Mosquitto."""

from __future__ import annotations

import secrets
from pathlib import Path

from provisioning.broker import CLOUD_USER, Account, gateway_user, write_broker_files


def provision_broker(*, out: str, floors: list[str], port: int, bind: str) -> int:
    parsed: list[tuple[str, str]] = []
    for item in floors:
        site, _, floor = item.partition("/")
        if not site or not floor:
            raise SystemExit(f"--floor must be SITE/FLOOR, got {item!r}")
        parsed.append((site, floor))
    accounts = [Account(CLOUD_USER, secrets.token_urlsafe(24))]
    accounts += [Account(gateway_user(s, f), secrets.token_urlsafe(24)) for s, f in parsed]
    directory = Path(out)
    conf = write_broker_files(directory, floors=parsed, accounts=accounts, port=port, bind=bind)
    secrets_file = directory / "credentials.txt"
    secrets_file.write_text("".join(f"{a.username} {a.password}\n" for a in accounts))
    secrets_file.chmod(0o600)
    print(f"wrote {conf}, {directory / 'passwd'}, {directory / 'acl'}")
    print(f"plain-text credentials for the cloud and each gateway: {secrets_file} (move them to their hosts)")
    return 0
