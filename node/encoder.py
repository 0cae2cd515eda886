"""The keycard writer on the node's desk: the card the node signed goes onto the tag the clerk lays
on the reader, is read back and compared, and the tag's UID is what the node reports to the cloud
(as a cloud desk station reports it, ``edge/desk/encoder.py``, whose code this reuses).

``POSADA_NODE_ENCODER``: ``libnfc`` (libnfc's first reader) or ``libnfc:<connstring>`` (e.g.
``libnfc:pn532_uart:/dev/ttyUSB0``), ``simulate`` (a blank NTAG213 is laid down for each card),
or unset: no writer, the desk hands the card's bytes over and no UID is reported.
"""

from __future__ import annotations

import threading
from typing import Protocol

from edge.desk.encoder import EncodeResult, encode
from edge.hw.nfc import NfcReader
from edge.hw.nfc_sim import SimulatedNtag, SimulatedReader

TAG_TIMEOUT_S = 20.0  # how long a clerk has to lay the card on the reader


class CardWriter(Protocol):
    def write(self, card: bytes) -> EncodeResult: ...

    def close(self) -> None: ...


class ReaderWriter:
    """One reader, one card at a time; the tag written last is not taken for the next card."""

    def __init__(self, reader: NfcReader, *, timeout_s: float = TAG_TIMEOUT_S) -> None:
        self.reader, self.timeout_s = reader, timeout_s
        self._lock = threading.Lock()
        self._last: bytes | None = None

    def write(self, card: bytes) -> EncodeResult:
        with self._lock:
            result = encode(self.reader, card, timeout_s=self.timeout_s, not_uid=self._last)
            if result.uid is not None:
                self._last = bytes.fromhex(result.uid)
            return result

    def close(self) -> None:
        self.reader.close()


class SimulatedWriter:
    """A stack of blank tags on a simulated reader: each card gets a fresh one, kept in
    ``written`` so a demo or a test can tap it at a door."""

    def __init__(self, *, model: str = "NTAG213", timeout_s: float = 2.0) -> None:
        self.reader, self.model, self.timeout_s = SimulatedReader(), model, timeout_s
        self.written: list[SimulatedNtag] = []
        self._lock = threading.Lock()

    def write(self, card: bytes) -> EncodeResult:
        tag = SimulatedNtag(self.model)
        with self._lock:
            self.reader.present(tag)
            try:
                result = encode(self.reader, card, timeout_s=self.timeout_s)
            finally:
                self.reader.remove()
            if result.ok:
                self.written.append(tag)
            return result

    def close(self) -> None:
        self.reader.close()


def from_setting(value: str) -> CardWriter | None:
    """The writer ``POSADA_NODE_ENCODER`` names (ValueError for one it does not; NfcUnavailable
    when libnfc or its reader is missing)."""
    kind, _, connstring = value.strip().partition(":")
    if not kind:
        return None
    if kind == "simulate" and not connstring:
        return SimulatedWriter()
    if kind == "libnfc":
        from edge.hw.nfc import LibnfcReader  # only a real reader needs the shared library

        return ReaderWriter(LibnfcReader(connstring or None))
    raise ValueError("POSADA_NODE_ENCODER is libnfc, libnfc:<connstring> or simulate")
