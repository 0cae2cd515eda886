"""NTAG21x keycards: identify the chip, read and write the card in user memory (pure).

The card sits in user memory (from page 4) as an NFC Forum NDEF message TLV holding one
short record of type "unknown" (TNF 5) whose payload is the card, then a terminator TLV:
``03 L D5 00 N <card> FE``. A phone sees a well-formed tag; six bytes of overhead leave
the 128-byte card room in an NTAG213's 144 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from edge.hw.nfc_errors import TagError

PAGE = 4
FIRST_USER_PAGE = 4
READ, WRITE, GET_VERSION = 0x30, 0xA2, 0x60
NDEF_TLV, TERMINATOR_TLV, NULL_TLV = 0x03, 0xFE, 0x00
RECORD_HEADER = 0xD5  # MB | ME | SR, TNF=5 (unknown)


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    user_pages: int

    @property
    def user_bytes(self) -> int:
        return self.user_pages * PAGE


MODELS = {0x0F: Model("NTAG213", 36), 0x11: Model("NTAG215", 126), 0x13: Model("NTAG216", 222)}


class TagLink(Protocol):
    """A selected ISO 14443-A tag: send a command, get its answer (CRC handled below)."""

    def transceive(self, command: bytes) -> bytes: ...


def identify(link: TagLink) -> Model:
    answer = link.transceive(bytes([GET_VERSION]))
    if len(answer) != 8 or answer[1] != 0x04 or answer[2] != 0x04:
        raise TagError("unsupported", f"not an NXP NTAG (GET_VERSION {answer.hex() or 'empty'})")
    model = MODELS.get(answer[6])
    if model is None:
        raise TagError("unsupported", f"NTAG storage size 0x{answer[6]:02x} is not 213/215/216")
    return model


def wrap(card: bytes) -> bytes:
    """The card as an NDEF TLV, padded to whole pages."""
    if not 0 < len(card) <= 0xFF - 3:
        raise TagError("size", f"card of {len(card)} bytes cannot be wrapped")
    body = bytes([NDEF_TLV, len(card) + 3, RECORD_HEADER, 0, len(card)]) + card
    body += bytes([TERMINATOR_TLV])
    return body + bytes(-len(body) % PAGE)


def unwrap(memory: bytes) -> bytes:
    """The card from user memory; strict about the one layout we write."""
    i = 0
    while i < len(memory) and memory[i] == NULL_TLV:
        i += 1
    if i >= len(memory) or memory[i] != NDEF_TLV:
        raise TagError("empty", "no NDEF message on the tag")
    if i + 5 > len(memory):
        raise TagError("truncated", "NDEF TLV cut short")
    length, header, type_len, payload_len = memory[i + 1:i + 5]
    if length == 0xFF:
        raise TagError("layout", "long NDEF TLV is not a keycard")
    if header != RECORD_HEADER or type_len != 0 or payload_len + 3 != length:
        raise TagError("layout", "NDEF record is not a keycard record")
    end = i + 5 + payload_len
    if end > len(memory):
        raise TagError("truncated", f"record needs {end} bytes, tag holds {len(memory)}")
    return memory[i + 5:end]


def read_card(link: TagLink) -> bytes:
    """Identify the tag, read as many pages as the largest card needs, unwrap."""
    model = identify(link)
    wanted = min(model.user_bytes, 144)
    memory = b""
    page = FIRST_USER_PAGE
    while len(memory) < wanted:
        chunk = link.transceive(bytes([READ, page]))
        if len(chunk) != 16:
            raise TagError("io", f"READ page {page} answered {len(chunk)} bytes")
        memory += chunk
        page += 4
    return unwrap(memory[:wanted])


def write_card(link: TagLink, card: bytes) -> Model:
    """Write the card page by page, then read it back; raises TagError on any mismatch."""
    model = identify(link)
    data = wrap(card)
    if len(data) > model.user_bytes:
        raise TagError("size", f"{len(data)} bytes do not fit {model.name} ({model.user_bytes})")
    for n in range(len(data) // PAGE):
        link.transceive(bytes([WRITE, FIRST_USER_PAGE + n]) + data[n * PAGE:(n + 1) * PAGE])
    if read_card(link) != card:
        raise TagError("verify", "read-back differs from what was written")
    return model
