"""Errors of the gateway's hardware adapters (serial bus to door nodes, GPIO)."""

from __future__ import annotations


class HardwareError(Exception):
    """Base of every hardware adapter error."""


class SerialPortError(HardwareError):
    """The serial port could not be opened, configured, read or written."""


class NodeTimeout(HardwareError):
    """A door node did not answer a command, retries included."""

    def __init__(self, address: int, *, attempts: int) -> None:
        super().__init__(f"door node {address} did not answer after {attempts} attempts")
        self.address = address
        self.attempts = attempts


class NodeRefused(HardwareError):
    """A door node answered a command with NACK."""

    def __init__(self, address: int, *, reason: int) -> None:
        super().__init__(f"door node {address} refused the command (reason {reason})")
        self.address = address
        self.reason = reason
