"""Errors of the access area."""

from __future__ import annotations


class AccessError(Exception):
    """Base of this area's errors."""


class CommandRejected(AccessError):
    """A command that cannot be applied; recorded and acknowledged with ``ok=false``."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
