"""A node's card key, delegated by the property key and kept alive by the cloud.

Staff register the node's public keys once (``PUT /api/v1/nodes/{site}/{node}/keys``). The
cloud then signs a delegation for ``WINDOW`` and renews it by itself once less than half of it
is left, keeping its start (cards the node signed earlier stay good) as far as the contract's
14 days allow. Every renewal goes to each gateway of the site through the command outbox (kept
until the gateway acknowledges it, as the property keys go) and to the node on its ``cmd``; a
gateway or a node coming online gets the delegation in force again. Retiring the node's key
(``key.retire``) is final: no renewal follows.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.board.models import Gateway
from cloud.catalog.models import Property
from cloud.commands.outbox import enqueue_command
from cloud.keys.commands import key_retire
from cloud.keys.delegation import delegate
from cloud.keys.keyring import Keyring
from cloud.node.models import NodeCardKey
from mqtt.access_messages import KeyDelegate
from mqtt.delegation import MAX_WINDOW

log = logging.getLogger(__name__)
WINDOW = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class NodeKeys:
    key_id: int
    public_key: str  # Ed25519, base64url
    seal_key: str  # X25519, base64url


def register(
    session: Session, keyring: Keyring, *, site: str, node: str, keys: NodeKeys, now: datetime
) -> KeyDelegate:
    """Record the node's keys and delegate its card key at once (to the site's gateways too)."""
    row = session.get(NodeCardKey, (site, node))
    if row is not None and row.retired_at is None and row.public_key != keys.public_key:
        raise ValueError("the node's card key is still in force: retire it before registering another")
    if row is None:
        row = NodeCardKey(site=site, node=node, registered_at=now)
        session.add(row)
    row.key_id, row.public_key, row.seal_key = keys.key_id, keys.public_key, keys.seal_key
    row.retired_at, row.delegation, row.valid_until = None, None, None
    return _renew(session, keyring, row, now=now)


def renew_due(
    session: Session, keyring: Keyring, *, now: datetime, window: timedelta = WINDOW
) -> list[NodeCardKey]:
    """Renew every delegation with less than half its window left; returns the rows renewed."""
    rows = session.scalars(select(NodeCardKey).where(NodeCardKey.retired_at.is_(None)))
    due = [r for r in rows if r.valid_until is None or r.valid_until - now < window / 2]
    for row in due:
        _renew(session, keyring, row, now=now, window=window)
    return due


def retire(session: Session, *, site: str, node: str, now: datetime) -> bool:
    """Revoke the node's card key at every gateway of the site, for good."""
    row = session.get(NodeCardKey, (site, node))
    if row is None or row.retired_at is not None:
        return False
    row.retired_at = now
    for floor in _floors(session, site):
        enqueue_command(
            session, site=site, floor=floor, type="key.retire", data=key_retire(row.key_id, at=now)
        )
    return True


def in_force(session: Session, *, site: str, node: str | None = None) -> list[KeyDelegate]:
    """The delegations a gateway (``node`` None: every node of the site) or a node must hold."""
    query = select(NodeCardKey).where(NodeCardKey.site == site, NodeCardKey.retired_at.is_(None))
    if node is not None:
        query = query.where(NodeCardKey.node == node)
    return [KeyDelegate.model_validate(r.delegation) for r in session.scalars(query) if r.delegation]


def send_to_floors(
    session: Session, *, site: str, delegation: KeyDelegate, floors: list[str] | None = None
) -> None:
    for floor in floors if floors is not None else _floors(session, site):
        enqueue_command(session, site=site, floor=floor, type="key.delegate", data=delegation)


def _renew(
    session: Session, keyring: Keyring, row: NodeCardKey, *, now: datetime, window: timedelta = WINDOW
) -> KeyDelegate:
    number = session.scalar(select(Property.number).where(Property.slug == row.site))
    if number is None:
        raise LookupError(f"no property {row.site!r}")
    held = KeyDelegate.model_validate(row.delegation) if row.delegation else None
    start = held.valid_from if held is not None else now
    start = max(start, now + window - MAX_WINDOW)  # the contract's longest window
    command = delegate(
        keyring,
        key_id=row.key_id,
        site=number,
        holder=row.node,
        public=_raw(row.public_key),
        now=now,
        window=window,
        valid_from=start,
    )
    row.delegation, row.valid_until = command.model_dump(mode="json"), command.valid_until
    send_to_floors(session, site=row.site, delegation=command)
    log.info(
        "node %s/%s: card key %d delegated until %s", row.site, row.node, row.key_id, command.valid_until
    )
    return command


def _floors(session: Session, site: str) -> list[str]:
    return list(session.scalars(select(Gateway.floor).where(Gateway.site == site).order_by(Gateway.floor)))


def _raw(b64: str) -> bytes:
    return base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
