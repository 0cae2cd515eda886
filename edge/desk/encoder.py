"""Write one card to the tag on the desk's reader, read it back, and say what happened (no network)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from edge.hw.nfc import NfcReader, read_keycard, write_keycard
from edge.hw.nfc_errors import NfcError, NfcUnavailable, TagError
from mqtt.keycard import CardFormatError, parse_card

READ_BACK_S = 2.0
# TagError reasons of edge/hw -> the failure reasons the cloud knows
_REASONS = {
    "no_tag": "no_tag",
    "verify": "verify_mismatch",
    "unsupported": "unsupported_tag",
    "size": "unsupported_tag",
}


@dataclass(frozen=True, slots=True)
class EncodeResult:
    uid: str | None = None  # lowercase hex of the tag's UID on success
    reason: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.uid is not None


def check_card(card: bytes, *, credential_id: str) -> str | None:
    """Why the cloud's card must not be written, or None (the agent trusts nothing unchecked)."""
    try:
        signed = parse_card(card)
    except CardFormatError as exc:
        return f"not a keycard: {exc}"
    if signed.card.credential_ref != credential_id:
        return f"card is {signed.card.credential_ref}, the job names {credential_id}"
    return None


def encode(reader: NfcReader, card: bytes, *, timeout_s: float, not_uid: bytes | None = None) -> EncodeResult:
    """Wait for a tag (not the one written last, which may still lie on the reader), write the
    card with ``write_keycard``, then read it back and compare uid and bytes."""
    try:
        uid = _fresh_tag(reader, timeout_s=timeout_s, not_uid=not_uid)
        if uid is None:
            hint = " (take the last card off the reader)" if not_uid else ""
            return EncodeResult(reason="no_tag", detail=f"no new card presented within {timeout_s:g} s{hint}")
        written = write_keycard(reader, card, timeout_s=timeout_s)
        back = read_keycard(reader, timeout_s=READ_BACK_S)
    except NfcUnavailable as exc:
        return EncodeResult(reason="reader_unavailable", detail=exc.detail[:200])
    except TagError as exc:
        return EncodeResult(reason=_REASONS.get(exc.reason, "write_failed"), detail=str(exc)[:200])
    except NfcError as exc:
        return EncodeResult(reason="write_failed", detail=str(exc)[:200])
    if back is None or back[0] != written or back[1] != card:
        return EncodeResult(
            reason="verify_mismatch", detail="the card read back differs from what was written"
        )
    return EncodeResult(uid=written.hex())


def _fresh_tag(reader: NfcReader, *, timeout_s: float, not_uid: bytes | None) -> bytes | None:
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        tag = reader.wait_for_tag(timeout_s=left)
        if tag is None:
            return None
        if tag.uid != not_uid:
            return tag.uid
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
