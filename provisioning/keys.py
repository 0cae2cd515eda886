"""``posada provision keys``: create the property's card-signing key, or rotate it.

Prints the ``key.upsert`` / ``key.retire`` command data (JSON, one per line) that every floor
must receive; the cloud sends them to gateways as they come online.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cloud.keys.commands import key_retire, key_upsert
from cloud.keys.keyring import GRACE
from cloud.keys.rotation import rotate
from cloud.keys.storage import KeyDirectory


def provision_keys(*, directory: str, rotate_now: bool = False, lead_hours: float = 24.0,
                   now: datetime | None = None) -> int:
    now = now or datetime.now(UTC)
    keys = KeyDirectory(directory)
    if rotate_now:
        rotation = rotate(keys, now=now, lead=timedelta(hours=lead_hours))
        print(f"# signing switches to key {rotation.announce.key_id} at "
              f"{rotation.switch_at.isoformat()}; key {rotation.retire.key_id} retires at "
              f"{rotation.retire.at.isoformat()}")
        _emit("key.upsert", rotation.announce.model_dump(mode="json", exclude_none=True))
        _emit("key.retire", rotation.retire.model_dump(mode="json"))
        return 0
    keyring = keys.load_or_create(now=now)
    for key in keyring:
        _emit("key.upsert", key_upsert(key).model_dump(mode="json", exclude_none=True))
        if key.not_after is not None:
            retire = key_retire(key.key_id, at=key.not_after + GRACE)  # after its last card
            _emit("key.retire", retire.model_dump(mode="json"))
    return 0


def _emit(type_: str, data: dict[str, object]) -> None:
    print(json.dumps({"type": type_, "data": data}, separators=(",", ":")))
