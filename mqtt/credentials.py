"""A floor gateway's broker account: its username, its Mosquitto password-file line and its ACL.

Shared by ``posada provision broker`` (which writes whole files) and the portal's floor page
(which shows one new floor's lines once), so both write the same formats.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from mqtt.topics import PREFIX, check_slug

PBKDF2_ITERATIONS = 101  # what mosquitto_passwd writes for its "$7$" format
GATEWAY_WRITES = ("status", "events", "ack", "rooms/+/state", "rooms/+/telemetry")


def gateway_user(site: str, floor: str) -> str:
    """The MQTT username of a floor's gateway (dots cannot occur in slugs, so it is unambiguous)."""
    return f"gw.{check_slug(site, 'site')}.{check_slug(floor, 'floor')}"


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A Mosquitto 2 password-file hash (PBKDF2-SHA512, ``$7$``)."""
    salt = salt if salt is not None else secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, PBKDF2_ITERATIONS)
    return f"$7${PBKDF2_ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def passwd_line(username: str, password: str) -> str:
    """One line of Mosquitto's password file (without its newline)."""
    return f"{username}:{hash_password(password)}"


def gateway_acl(site: str, floor: str) -> list[str]:
    """A gateway writes only under its own ``{site}/{floor}`` and reads only its own ``cmd``."""
    base = f"{PREFIX}/{site}/{floor}"
    lines = [f"user {gateway_user(site, floor)}"]
    lines += [f"topic write {base}/{w}" for w in GATEWAY_WRITES]
    lines.append(f"topic read {base}/cmd")
    return lines
