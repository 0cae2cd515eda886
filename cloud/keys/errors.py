"""Errors of keycard issuing and signing-key handling."""

from __future__ import annotations


class KeysError(Exception):
    """Base of this area's errors."""


class NoSigningKey(KeysError):
    """No key of the keyring may sign at the requested instant."""


class KeyFileError(KeysError):
    """A key file is missing, unreadable, not Ed25519, or its metadata is invalid."""


class IssueError(KeysError):
    """A card request that cannot become a valid card (reason says why)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
