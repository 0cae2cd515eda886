"""Delegated card-signing keys: the canonical bytes the property key signs to vouch for a
node's sub-key within a bounded window (see docs/card-format.md, "Delegated keys").

Pure encoding only; the cloud signs (``cloud/keys/delegation.py``) and the gateways verify
(``edge/access/delegation.py``). One content has one byte string, so the signature covers
exactly what the gateway checks.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import datetime, timedelta

from mqtt.keycard import CardFormatError
from mqtt.topics import SLUG

MAGIC = b"PD"
VERSION = 1
PUBLIC_BYTES = 32
# Sub-key ids live apart from the property's own keys, so a rotation never takes one.
FIRST_DELEGATED_ID = 0xF000
MAX_WINDOW = timedelta(days=14)  # a stolen node's key stops opening doors within this
_HEADER = struct.Struct(">2sBHHHII")


@dataclass(frozen=True, slots=True)
class Delegation:
    """A sub-key ``key_id`` vouched for by property key ``parent_key_id`` at ``site``, for
    the node ``holder``, signing cards in [valid_from, valid_until)."""

    key_id: int
    parent_key_id: int
    site: int
    holder: str
    public: bytes
    valid_from: datetime
    valid_until: datetime

    def covers(self, at: datetime) -> bool:
        return self.valid_from <= at < self.valid_until


def check_delegation(d: Delegation) -> None:
    """Raise CardFormatError for anything a gateway must refuse before checking a signature."""
    if not FIRST_DELEGATED_ID <= d.key_id <= 0xFFFF:
        raise CardFormatError("key_id", f"delegated key id {d.key_id} outside {FIRST_DELEGATED_ID}..65535")
    if not 0 <= d.parent_key_id < FIRST_DELEGATED_ID:
        raise CardFormatError("parent", f"parent key id {d.parent_key_id} is not a property key")
    if not 0 <= d.site <= 0xFFFF:
        raise CardFormatError("range", f"site {d.site} outside 0..65535")
    if not SLUG.fullmatch(d.holder):
        raise CardFormatError("holder", f"holder {d.holder[:70]!r} is not a slug")
    if len(d.public) != PUBLIC_BYTES:
        raise CardFormatError("public_key", f"{len(d.public)} bytes, need {PUBLIC_BYTES}")
    if d.valid_from.tzinfo is None or d.valid_until.tzinfo is None:
        raise CardFormatError("time", "window instants must be aware")
    if d.valid_until <= d.valid_from:
        raise CardFormatError("window", "valid_until is not after valid_from")
    if d.valid_until - d.valid_from > MAX_WINDOW:
        raise CardFormatError("window", f"window longer than {MAX_WINDOW.days} days")


def delegation_message(d: Delegation) -> bytes:
    """The bytes the parent key signs. Raises CardFormatError for a delegation out of rules."""
    check_delegation(d)
    holder = d.holder.encode()
    return (
        _HEADER.pack(
            MAGIC, VERSION, d.key_id, d.parent_key_id, d.site, _seconds(d.valid_from), _seconds(d.valid_until)
        )
        + d.public
        + bytes([len(holder)])
        + holder
    )


def _seconds(at: datetime) -> int:
    value = int(at.timestamp())
    if at.microsecond or not 0 < value <= 0xFFFF_FFFF:
        raise CardFormatError("time", f"{at.isoformat()} is not a whole second in range")
    return value
