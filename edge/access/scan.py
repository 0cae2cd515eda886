"""A phone key read off a screen: the text a barcode scanner types back into the card's bytes.

The guest's phone shows the card as a QR code of its bytes in base64url without padding, as
``docs/card-format.md`` writes them; the scanner hands the gateway that text, one line per read.
Pure: the decision that follows is the same ``decide()`` a tapped card gets.
"""

from __future__ import annotations

import base64
import re

MAX_CARD = 128  # bytes, as the card format allows
MAX_TEXT = (MAX_CARD * 4 + 2) // 3  # its base64url text, unpadded
_TEXT = re.compile(r"[A-Za-z0-9_-]+")


class ScanRefused(ValueError):
    """What the scanner read is not a phone key (another code, a cut read, noise)."""


def card_of(text: bytes) -> bytes:
    """The card's bytes from one scanned line (CR/LF and surrounding blanks ignored)."""
    try:
        line = text.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ScanRefused("not ASCII text") from None
    if not line:
        raise ScanRefused("empty read")
    if len(line) > MAX_TEXT:
        raise ScanRefused(f"{len(line)} characters; a card's code has at most {MAX_TEXT}")
    if not _TEXT.fullmatch(line) or len(line) % 4 == 1:
        raise ScanRefused("not base64url text")
    return base64.urlsafe_b64decode(line + "=" * (-len(line) % 4))
