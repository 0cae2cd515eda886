"""Simulated NFC: an NTAG21x tag with its memory map, and a reader it can be held to.

The tag answers the same commands as the chip (GET_VERSION, READ of four pages with
roll-over, WRITE of one page, NAK for protected or absent pages), so ``ntag`` runs against
it exactly as against a real tag through libnfc.
"""

from __future__ import annotations

import os
import threading

from edge.hw import ntag
from edge.hw.nfc import Tag
from edge.hw.nfc_errors import TagError

# total pages, storage-size byte of GET_VERSION, capability-container size byte
_CHIPS = {"NTAG213": (45, 0x0F, 0x12), "NTAG215": (135, 0x11, 0x3E), "NTAG216": (231, 0x13, 0x6D)}


class SimulatedNtag:
    def __init__(self, model: str = "NTAG213", *, uid: bytes | None = None) -> None:
        self.pages, self._size_byte, cc_size = _CHIPS[model]
        self.uid = uid or b"\x04" + os.urandom(6)
        self.memory = bytearray(self.pages * ntag.PAGE)
        self.memory[0:3] = self.uid[0:3]
        self.memory[4:8] = self.uid[3:7]
        self.memory[12:16] = bytes([0xE1, 0x10, cc_size, 0x00])
        self.tear_after_writes: int | None = None  # the guest pulls the card away mid-write
        self.writes = 0

    @property
    def last_user_page(self) -> int:
        return self.pages - 6  # the last five pages hold configuration and the password

    def transceive(self, command: bytes) -> bytes:
        if not command:
            raise TagError("io", "empty command")
        if command[0] == ntag.GET_VERSION and len(command) == 1:
            return bytes([0x00, 0x04, 0x04, 0x02, 0x01, 0x00, self._size_byte, 0x03])
        if command[0] == ntag.READ and len(command) == 2:
            return self._read(command[1])
        if command[0] == ntag.WRITE and len(command) == 6:
            return self._write(command[1], command[2:])
        raise TagError("io", f"tag answered NAK to command {command[:2].hex()}")

    def _read(self, page: int) -> bytes:
        if page >= self.pages:
            raise TagError("io", f"NAK: READ page {page} beyond the tag")
        return bytes(self.memory[((page + i) % self.pages) * 4 + j]
                     for i in range(4) for j in range(4))

    def _write(self, page: int, data: bytes) -> bytes:
        if not ntag.FIRST_USER_PAGE <= page <= self.last_user_page:
            raise TagError("io", f"NAK: page {page} is not writable")
        if self.tear_after_writes is not None and self.writes >= self.tear_after_writes:
            raise TagError("io", "tag left the field")
        self.memory[page * 4:page * 4 + 4] = data
        self.writes += 1
        return b""


class SimulatedReader:
    """A reader a test or the demo holds tags to; ``wait_for_tag`` wakes when one arrives."""

    def __init__(self) -> None:
        self._tag: SimulatedNtag | None = None
        self._changed = threading.Condition()

    def present(self, tag: SimulatedNtag) -> None:
        with self._changed:
            self._tag = tag
            self._changed.notify_all()

    def remove(self) -> None:
        with self._changed:
            self._tag = None

    def wait_for_tag(self, *, timeout_s: float) -> Tag | None:
        with self._changed:
            self._changed.wait_for(lambda: self._tag is not None, timeout=timeout_s)
            tag = self._tag
        return Tag(uid=tag.uid, link=tag) if tag is not None else None

    def close(self) -> None:
        self.remove()
