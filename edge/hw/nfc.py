"""NFC readers through libnfc (via pynfc's ctypes bindings): the door reader and the desk writer.

pynfc loads ``libfreefare.so`` (Debian: libnfc6, libfreefare0 and libfreefare-dev for the
unversioned name). Every libnfc failure becomes an NfcError; opening without a reader is
NfcUnavailable with libnfc's own words.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Protocol

from edge.hw import ntag
from edge.hw.nfc_errors import NfcError, NfcUnavailable, TagError

POLL_PERIOD_S = 0.15  # libnfc's polling unit
TRANSCEIVE_TIMEOUT_MS = 200


@dataclass(frozen=True, slots=True)
class Tag:
    uid: bytes
    link: ntag.TagLink


class NfcReader(Protocol):
    def wait_for_tag(self, *, timeout_s: float) -> Tag | None: ...

    def close(self) -> None: ...


def read_keycard(reader: NfcReader, *, timeout_s: float) -> tuple[bytes, bytes] | None:
    """(uid, card bytes) of the next tag presented, or None if none came in time."""
    tag = reader.wait_for_tag(timeout_s=timeout_s)
    if tag is None:
        return None
    return tag.uid, ntag.read_card(tag.link)


def write_keycard(reader: NfcReader, card: bytes, *, timeout_s: float) -> bytes:
    """Write a card to the next NTAG presented and verify it; returns the tag's uid."""
    tag = reader.wait_for_tag(timeout_s=timeout_s)
    if tag is None:
        raise TagError("no_tag", f"no tag presented within {timeout_s:g} s")
    ntag.write_card(tag.link, card)
    return tag.uid


def load_libnfc() -> ModuleType:
    """Import pynfc's bindings; a missing shared library becomes NfcUnavailable."""
    try:
        import pynfc.nfc as nfc  # only the real reader needs the shared library
    except (OSError, ImportError) as exc:
        raise NfcUnavailable("library", f"libnfc/libfreefare cannot be loaded: {exc}") from None
    # NULL asks libnfc for its default device; pynfc's array type cannot express NULL.
    nfc.nfc_open.argtypes = [ctypes.POINTER(nfc.struct_nfc_context), ctypes.c_char_p]
    module: ModuleType = nfc
    return module


class LibnfcReader:
    """A PN532/ACR122-class reader opened through libnfc as an ISO 14443-A initiator."""

    def __init__(self, connstring: str | None = None) -> None:
        self.connstring = connstring
        self._nfc = load_libnfc()
        self._ctx: Any = ctypes.POINTER(self._nfc.struct_nfc_context)()
        self._device: Any = None
        self._nfc.nfc_init(ctypes.byref(self._ctx))
        if not self._ctx:
            raise NfcUnavailable("init", "nfc_init failed (out of memory?)")
        try:
            self._open()
        except NfcError:
            self.close()
            raise

    def _open(self) -> None:
        where = self.connstring.encode() if self.connstring else None
        self._device = self._nfc.nfc_open(self._ctx, where)
        if not self._device:
            target = f"at {self.connstring!r}" if self.connstring else "(libnfc found no device)"
            raise NfcUnavailable("no_reader", f"no NFC reader could be opened {target}")
        if self._nfc.nfc_initiator_init(self._device) < 0:
            raise NfcUnavailable("init", f"reader refused initiator mode: {self._error()}")

    def wait_for_tag(self, *, timeout_s: float) -> Tag | None:
        modulation = self._nfc.nfc_modulation(nmt=self._nfc.NMT_ISO14443A, nbr=self._nfc.NBR_106)
        target = self._nfc.nfc_target()
        polls = max(1, min(255, round(timeout_s / POLL_PERIOD_S)))
        found = self._nfc.nfc_initiator_poll_target(
            self._device, ctypes.byref(modulation), 1, polls, 1, ctypes.byref(target))
        if found == 0 or found == -6:  # nothing in the field / NFC_ETIMEOUT
            return None
        if found < 0:
            raise NfcError("poll", self._error())
        info = target.nti.nai
        return Tag(uid=bytes(info.abtUid[: info.szUidLen]), link=_LibnfcLink(self))

    def transceive(self, command: bytes) -> bytes:
        tx = (ctypes.c_ubyte * len(command)).from_buffer_copy(command)
        rx = (ctypes.c_ubyte * 64)()
        n = self._nfc.nfc_initiator_transceive_bytes(
            self._device, tx, len(command), rx, len(rx), TRANSCEIVE_TIMEOUT_MS)
        if n < 0:
            raise TagError("io", f"command 0x{command[0]:02x} failed: {self._error()}")
        return bytes(rx[:n])

    def close(self) -> None:
        if self._device:
            self._nfc.nfc_close(self._device)
            self._device = None
        if self._ctx:
            self._nfc.nfc_exit(self._ctx)
            self._ctx = None

    def _error(self) -> str:
        text = self._nfc.nfc_strerror(self._device)
        return ctypes.string_at(text).decode(errors="replace") if text else "unknown error"

    def __enter__(self) -> LibnfcReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True, slots=True)
class _LibnfcLink:
    reader: LibnfcReader

    def transceive(self, command: bytes) -> bytes:
        return self.reader.transceive(command)

