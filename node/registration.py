"""Registering the node's keys with the cloud from the node's own page: a manager gives their
cloud account, and the node asks the cloud's API with it (a bearer token made for this one
call, revoked right after): ``PUT /api/v1/nodes/{site}/{node}/keys`` with the node's card key
(its public half and the key id the manager picks) and its sealing key. The cloud delegates the
card key at once and sends it to the floors and to the node; the replica follows (and with it
the desk's staff, who can then sign in here). The password is not kept.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from cloud.node.seal import public_b64
from node import keys
from node.app import PropertyNode


class RegistrationRefused(Exception):
    """The cloud did not register the keys; ``reason`` is one of: bad_credentials, throttled,
    not_manager, key_in_force, invalid, unreachable, refused."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason, self.detail = reason, detail


@dataclass(frozen=True, slots=True)
class Registered:
    key_id: int
    valid_from: datetime
    valid_until: datetime


def public_keys(node: PropertyNode) -> tuple[str, str]:
    """The node's card key (Ed25519) and sealing key (X25519), base64url, as the API takes them."""
    card = base64.urlsafe_b64encode(keys.public_bytes(node.card_key)).rstrip(b"=").decode()
    return card, public_b64(node.seal_key)


def register(
    node: PropertyNode, client: httpx.Client, *, username: str, password: str, key_id: int
) -> Registered:
    """``client`` speaks to the cloud (its base URL set). Raises RegistrationRefused."""
    if not 0xF000 <= key_id <= 0xFFFF:
        raise RegistrationRefused("invalid", "a node's card key id is F000 to FFFF")
    site, name = node.settings.site, node.settings.node
    try:
        issued = client.post(
            "/api/v1/auth/tokens",
            json={"username": username[:64], "password": password[:1024], "name": f"node {name} keys"},
        )
        if issued.status_code == 429:
            raise RegistrationRefused("throttled", issued.headers.get("retry-after", ""))
        if issued.status_code in (401, 422):
            raise RegistrationRefused("bad_credentials")
        _ok(issued)
        token = _field(issued, "token")
        try:
            card, seal = public_keys(node)
            answer = client.put(
                f"/api/v1/nodes/{site}/{name}/keys",
                json={"key_id": key_id, "public_key": card, "seal_key": seal},
                headers={"Authorization": f"Bearer {token}"},
            )
        finally:
            client.delete(
                f"/api/v1/auth/tokens/{_field(issued, 'id')}", headers={"Authorization": f"Bearer {token}"}
            )
    except httpx.HTTPError as exc:
        raise RegistrationRefused("unreachable", str(exc)[:200]) from None
    if answer.status_code == 403:
        raise RegistrationRefused("not_manager")
    if answer.status_code == 409:
        raise RegistrationRefused("key_in_force", _detail(answer))
    if answer.status_code == 422:
        raise RegistrationRefused("invalid", _detail(answer))
    _ok(answer)
    return Registered(
        key_id=int(_field(answer, "key_id")),
        valid_from=datetime.fromisoformat(_field(answer, "valid_from")),
        valid_until=datetime.fromisoformat(_field(answer, "valid_until")),
    )


def _ok(answer: httpx.Response) -> None:
    if not 200 <= answer.status_code < 300:
        raise RegistrationRefused("refused", f"{answer.status_code} {_detail(answer)}")


def _detail(answer: httpx.Response) -> str:
    try:
        body: Any = answer.json()
    except ValueError:
        return answer.text[:200]
    return str(body.get("detail", "") if isinstance(body, dict) else body)[:200]


def _field(answer: httpx.Response, name: str) -> str:
    try:
        body = answer.json()
        value = body[name]
    except (ValueError, KeyError, TypeError):
        raise RegistrationRefused("refused", f"the cloud's answer has no {name}") from None
    return str(value)
