"""Errors of the floor gateway."""

from __future__ import annotations


class EdgeError(Exception):
    """Base of the gateway's own errors."""


class ConfigError(EdgeError):
    """A setting is missing or invalid; the message names the setting and the source."""


class CommandRejected(EdgeError):
    """A command from the cloud that cannot be applied; ``reason`` goes into the ack."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnknownRoom(CommandRejected):
    """A command or input names a room this floor does not have."""

    def __init__(self, room: str) -> None:
        super().__init__(f"unknown room {room[:63]!r}")
        self.room = room
