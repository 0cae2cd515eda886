"""The gateway's end of the RS-485 bus to its door nodes (pyserial).

The gateway is the only master: it sends one command and waits for the addressed node's
reply carrying the same sequence number; nodes never speak unasked, so the half-duplex
bus has no collisions. A lost command or reply is retried with the same sequence number
(the node answers a repeat from its reply cache, never executes it twice); late replies
to an earlier attempt, duplicates and other nodes' frames are dropped and counted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import serial
import serial.rs485

from edge.hw.errors import NodeTimeout, SerialPortError
from firmware.doornode import frame as fr

log = logging.getLogger(__name__)

BAUDRATE = 115_200  # the bus's default rate (8N1)
BAUDRATES = (115_200, 230_400, 460_800, 921_600, 1_000_000)  # as the door nodes (firmware board.py)
READ_SLICE_S = 0.002  # the port's own read timeout; the bus loops up to its deadline


class SerialPort(Protocol):
    """What the bus needs of a pyserial port (Serial, or a loop:// or pty one)."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes, /) -> int | None: ...


def open_port(url: str, *, baudrate: int = BAUDRATE, rs485: bool = False) -> serial.SerialBase:
    """Open a port by device path or pyserial URL (loop://, rfc2217://...) at one of ``BAUDRATES``."""
    if baudrate not in BAUDRATES:
        raise SerialPortError(f"serial port {url!r}: {baudrate} baud is not one of {BAUDRATES}")
    try:
        port = serial.serial_for_url(url, baudrate=baudrate, timeout=READ_SLICE_S)
    except (serial.SerialException, ValueError, OSError) as exc:
        raise SerialPortError(f"cannot open serial port {url!r}: {exc}") from exc
    if rs485:  # kernel-driven RTS direction control (UARTs with RS-485 support)
        try:
            port.rs485_mode = serial.rs485.RS485Settings()
        except (serial.SerialException, ValueError, OSError) as exc:
            port.close()
            raise SerialPortError(f"serial port {url!r} has no RS-485 mode: {exc}") from exc
    return port


@dataclass
class BusCounters:
    commands: int = 0
    retries: int = 0
    timeouts: int = 0
    stale: int = 0  # late, duplicate or foreign replies that were dropped


class SerialBus:
    def __init__(
        self,
        port: SerialPort,
        *,
        reply_timeout_s: float = 0.05,
        retries: int = 2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._port = port
        self._timeout = reply_timeout_s
        self._retries = retries
        self._clock = clock
        self._decoder = fr.Decoder()
        self._seq: dict[int, int] = {}
        self._lock = threading.Lock()  # one exchange on the wire at a time
        self.counters = BusCounters()

    @property
    def decoder(self) -> fr.Decoder:
        return self._decoder

    def transact(self, address: int, kind: int, payload: bytes = b"") -> fr.Frame:
        """Send one command and return the node's reply; raises NodeTimeout."""
        with self._lock:
            seq = self._next_seq(address)
            data = fr.encode(address, seq, kind, payload)
            self.counters.commands += 1
            attempts = 1 + self._retries
            for attempt in range(attempts):
                if attempt:
                    self.counters.retries += 1
                self._write(data)
                reply = self._await_reply(address, seq)
                if reply is not None:
                    return reply
            self.counters.timeouts += 1
            raise NodeTimeout(address, attempts=attempts)

    def broadcast(self, kind: int, payload: bytes = b"") -> None:
        """A command to every node; nobody answers, so it is not retried."""
        with self._lock:
            self._write(fr.encode(fr.BROADCAST, 0, kind, payload))

    def _next_seq(self, address: int) -> int:
        if not 1 <= address <= fr.MAX_ADDR:
            raise ValueError(f"node address must be 1..{fr.MAX_ADDR}, got {address}")
        # The first command after a start carries seq 0, which never acknowledges.
        seq = fr.next_seq(self._seq[address]) if address in self._seq else 0
        self._seq[address] = seq
        return seq

    def _write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise SerialPortError(f"serial write failed: {exc}") from exc

    def _await_reply(self, address: int, seq: int) -> fr.Frame | None:
        deadline = self._clock() + self._timeout
        while self._clock() < deadline:
            for frame in self._decoder.feed(self._read()):
                if frame.reply and frame.addr == address and frame.seq == seq:
                    return frame
                self.counters.stale += 1
                log.debug("dropped stale frame %r while waiting for %d/%d", frame, address, seq)
        self._decoder.expire()  # a reply cut off mid-frame will never complete
        return None

    def _read(self) -> bytes:
        try:
            chunk = self._port.read(1)
            waiting = self._port.in_waiting if chunk else 0
            return chunk + self._port.read(waiting) if waiting else chunk
        except (serial.SerialException, OSError) as exc:
            raise SerialPortError(f"serial read failed: {exc}") from exc
