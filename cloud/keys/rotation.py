"""Key rotation: announce the next key ahead of the switch, retire the old one after its
last card has expired."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cloud.keys.commands import key_retire, key_upsert
from cloud.keys.keyring import GRACE
from cloud.keys.storage import KeyDirectory
from mqtt.access_messages import KeyRetire, KeyUpsert

# Gateways must hold the next key before the first card signed with it is tapped.
DEFAULT_LEAD = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class Rotation:
    switch_at: datetime
    announce: KeyUpsert  # send to every floor now
    retire: KeyRetire  # send now too: gateways apply it at ``retire.at``


def rotate(keys: KeyDirectory, *, now: datetime, lead: timedelta = DEFAULT_LEAD) -> Rotation:
    """End the current key's signing window at ``now + lead`` and create its successor."""
    keyring = keys.load()
    current = keyring.signing_key(now)
    if any(k.not_before > now for k in keyring):
        raise ValueError("a rotation is already scheduled")
    switch = now + lead
    keys.set_window(key_id=current.key_id, not_before=current.not_before, not_after=switch)
    successor = keys.create(key_id=max(k.key_id for k in keyring) + 1, not_before=switch)
    return Rotation(switch_at=switch, announce=key_upsert(successor),
                    retire=key_retire(current.key_id, at=switch + GRACE))
