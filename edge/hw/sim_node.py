"""The serial bus's simulated twin: real door node firmware on the far end of a pty.

The firmware's DoorNode runs in a thread under CPython with pin, reader and UART objects
that stand in for the board's; the gateway opens the pty's device path with pyserial like
any USB RS-485 adapter. The demo and the tests use it; nothing else in the gateway knows.
"""

from __future__ import annotations

import fcntl
import os
import queue
import select
import struct
import termios
import threading
import time
import tty
from collections.abc import Callable

from firmware.doornode.clock import ticks_ms
from firmware.doornode.node import DoorNode


class SimPin:
    """A pin that remembers when it last changed (perf_counter seconds)."""

    def __init__(self, level: int = 0) -> None:
        self.level = level
        self.changed_at = time.perf_counter()
        self.changed = threading.Condition()

    def value(self, level: int | None = None) -> int:
        if level is None:
            return self.level
        with self.changed:
            if level != self.level:
                self.level, self.changed_at = level, time.perf_counter()
                self.changed.notify_all()
        return level

    def wait_for(self, level: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.level == level, timeout)


class SimReader:
    """Cards held to the reader, one read each."""

    def __init__(self) -> None:
        self._cards: queue.SimpleQueue[bytes] = queue.SimpleQueue()

    def present(self, card: bytes) -> None:
        self._cards.put(card)

    def read(self) -> bytes | None:
        try:
            return self._cards.get_nowait()
        except queue.Empty:
            return None


def wire_seconds(nbytes: int, baudrate: int) -> float:
    """Time to clock `nbytes` out of a UART at 8N1 (start + 8 data + stop bits)."""
    return nbytes * 10 / baudrate


class FdUart:
    """MicroPython's UART calls (any/read/write) over a file descriptor.

    With `pace_baud`, each write first waits for the time the bytes would take on a real
    wire, since a pty moves them at memory speed whatever baud rate it was given.
    """

    def __init__(self, fd: int, *, pace_baud: int | None = None) -> None:
        self.fd = fd
        self.pace_baud = pace_baud

    def any(self) -> int:
        raw = fcntl.ioctl(self.fd, termios.FIONREAD, b"\0\0\0\0")
        return int(struct.unpack("i", raw)[0])

    def read(self, size: int) -> bytes:
        return os.read(self.fd, size)

    def write(self, data: bytes) -> int:
        if self.pace_baud:
            time.sleep(wire_seconds(len(data), self.pace_baud))
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        return len(data)


class SimulatedDoorNode:
    """One door node on its own pty; `device` is the path the gateway opens."""

    def __init__(
        self,
        address: int,
        *,
        battery_mv: int | None = 3700,
        pace_baud: int | None = None,
        node_factory: Callable[..., DoorNode] = DoorNode,
        **options: int,
    ) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        self.device = os.ttyname(self._slave)
        self.lock, self.contact, self.reader = SimPin(), SimPin(0), SimReader()
        self.uart = FdUart(self._master, pace_baud=pace_baud)
        self.node = node_factory(
            self.uart, self.lock, self.contact, self.reader, address,
            battery=(lambda: battery_mv), now_ms=ticks_ms(), **options,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"door-node-{address}", daemon=True)

    def start(self) -> SimulatedDoorNode:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            os.close(fd)

    def tap(self, card: bytes) -> None:
        self.reader.present(card)

    def set_door(self, *, is_open: bool) -> None:
        self.contact.value(1 if is_open else 0)

    def _run(self) -> None:
        while not self._stop.is_set():
            select.select([self._master], [], [], 0.001)
            self.node.step(ticks_ms())
