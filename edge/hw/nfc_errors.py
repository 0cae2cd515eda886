"""Errors of the NFC adapters (reader at the door, reader/writer at the desk)."""

from __future__ import annotations


class NfcError(Exception):
    """Base of every NFC error; ``reason`` is a short counter key."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class NfcUnavailable(NfcError):
    """The NFC library cannot be loaded or no reader can be opened."""


class TagError(NfcError):
    """A tag that is not a supported NTAG, holds no card, or failed mid-operation."""
