"""Vouching for a property node's sub-key: the property key signs the node's public key for
a bounded window, and the gateways are told with ``key.delegate``.

The node makes its own key pair and hands over only the public half, so no private key ever
crosses the broker. The cloud renews the window while the node is online; a sub-key is
revoked with ``key.retire`` (cloud/keys/commands.py), which no later renewal undoes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cloud.keys.commands import b64url
from cloud.keys.errors import IssueError
from cloud.keys.keyring import Keyring
from mqtt.access_messages import KeyDelegate
from mqtt.delegation import Delegation, delegation_message
from mqtt.keycard import CardFormatError

DEFAULT_WINDOW = timedelta(days=3)


def delegate(
    keyring: Keyring,
    *,
    key_id: int,
    site: int,
    holder: str,
    public: bytes,
    now: datetime,
    window: timedelta = DEFAULT_WINDOW,
    valid_from: datetime | None = None,
) -> KeyDelegate:
    """Sign ``public`` with the property key that signs at ``now``, valid until ``window``
    after now, from ``valid_from`` (default now: a renewal keeps the start, so the cards the
    node signed before stay good). Raises IssueError for a delegation out of rules,
    NoSigningKey without a key."""
    if now.tzinfo is None:
        raise IssueError("time", "now must be an aware datetime")
    parent = keyring.signing_key(now)
    start = now.replace(microsecond=0)
    delegation = Delegation(
        key_id=key_id,
        parent_key_id=parent.key_id,
        site=site,
        holder=holder,
        public=public,
        valid_from=(valid_from or start).replace(microsecond=0),
        valid_until=start + window,
    )
    try:
        message = delegation_message(delegation)
    except CardFormatError as exc:
        raise IssueError(exc.reason, exc.detail) from None
    return KeyDelegate(
        key_id=key_id,
        parent_key_id=parent.key_id,
        site=site,
        holder=holder,
        public_key=b64url(public),
        valid_from=delegation.valid_from,
        valid_until=delegation.valid_until,
        signature=b64url(parent.sign(message)),
    )
