"""The serial bus's simulated twin: real door node firmware on the far end of a pty.

The firmware's DoorNodes run in a thread under CPython, sharing one simulated RS-485 line,
with pin, reader and UART objects that stand in for the board's; the gateway opens the
pty's device path with pyserial like any USB RS-485 adapter. The demo and the tests use
it; nothing else in the gateway knows.
"""

from __future__ import annotations

import os
import queue
import select
import threading
import time
import tty
from typing import Any, overload

from firmware.doornode.clock import ticks_ms
from firmware.doornode.node import DoorNode


class SimPin:
    """A pin that keeps every change with its time (perf_counter seconds)."""

    def __init__(self, level: int = 0) -> None:
        self.level = level
        self.changed_at = time.perf_counter()
        self.changes: list[tuple[int, float]] = []
        self.changed = threading.Condition()

    @overload
    def value(self) -> int: ...

    @overload
    def value(self, level: int, /) -> None: ...

    def value(self, level: int | None = None) -> int | None:
        if level is None:
            return self.level
        with self.changed:
            if level != self.level:
                self.level, self.changed_at = level, time.perf_counter()
                self.changes.append((level, self.changed_at))
                self.changed.notify_all()
        return None

    def mark(self) -> int:
        """A place in the change history to wait from (a short pulse is never missed)."""
        with self.changed:
            return len(self.changes)

    def wait_for(self, level: int, timeout: float, *, since: int | None = None) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self._reached(level, since), timeout)

    def first_change_to(self, level: int, since: int) -> float | None:
        with self.changed:
            return next((at for lv, at in self.changes[since:] if lv == level), None)

    def _reached(self, level: int, since: int | None) -> bool:
        if since is None:
            return self.level == level
        return any(lv == level for lv, _ in self.changes[since:])


class SimReader:
    """Cards held to the reader, one read each, and the faults a reader driver reports
    (``firmware.doornode.pn532.PN532.fault``: a torn card, two cards, a silent reader)."""

    def __init__(self) -> None:
        self._cards: queue.SimpleQueue[bytes] = queue.SimpleQueue()
        self._faults: queue.SimpleQueue[int] = queue.SimpleQueue()

    def present(self, card: bytes) -> None:
        self._cards.put(card)

    def report_fault(self, code: int) -> None:
        self._faults.put(code)

    def read(self) -> bytes | None:
        try:
            return self._cards.get_nowait()
        except queue.Empty:
            return None

    def fault(self) -> int | None:
        try:
            return self._faults.get_nowait()
        except queue.Empty:
            return None


def wire_seconds(nbytes: int, baudrate: int) -> float:
    """Time to clock `nbytes` out of a UART at 8N1 (start + 8 data + stop bits)."""
    return nbytes * 10 / baudrate


class _Line:
    """The shared RS-485 pair: the gateway's bytes reach every node, a node's bytes reach
    the gateway and every other node (a node does not hear its own echo here)."""

    def __init__(self, fd: int, *, pace_baud: int | None) -> None:
        self.fd, self.pace_baud = fd, pace_baud
        self.uarts: list[BusUart] = []

    def from_gateway(self, data: bytes) -> None:
        for uart in self.uarts:
            uart.rx.extend(data)

    def transmit(self, sender: BusUart, data: bytes) -> None:
        if self.pace_baud:  # a pty moves bytes at memory speed whatever its baud rate
            time.sleep(wire_seconds(len(data), self.pace_baud))
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        for uart in self.uarts:
            if uart is not sender:
                uart.rx.extend(data)


class BusUart:
    """MicroPython's UART calls (any/read/write) for one node on the shared line."""

    def __init__(self, line: _Line) -> None:
        self._line = line
        self.rx = bytearray()
        line.uarts.append(self)

    def any(self) -> int:
        return len(self.rx)

    def read(self, size: int) -> bytes:
        data = bytes(self.rx[:size])
        del self.rx[:size]
        return data

    def write(self, data: bytes) -> int:
        self._line.transmit(self, bytes(data))
        return len(data)


class SimNode:
    """One node's firmware with the pins, reader and UART it was handed."""

    def __init__(self, line: _Line, address: int, *, battery_mv: int | None, reader: Any = None,
                 **options: Any):
        self.lock, self.contact, self.reader = SimPin(), SimPin(0), SimReader()
        chip_reader = reader if reader is not None else self.reader  # a driver on a simulated chip
        self.handle = SimPin(1)  # a switch to ground with a pull-up: 0 while the handle is turned
        self.uart = BusUart(line)
        self.node = DoorNode(self.uart, self.lock, self.contact, chip_reader, address,
                             battery=(lambda: battery_mv), now_ms=ticks_ms(), handle=self.handle,
                             handle_level=0, **options)

    def tap(self, card: bytes) -> None:
        self.reader.present(card)

    def turn_handle(self, *, held: bool) -> None:
        self.handle.value(0 if held else 1)

    def set_door(self, *, is_open: bool) -> None:
        self.contact.value(1 if is_open else 0)


class SimulatedBus:
    """Door nodes sharing one line on a pty; `device` is the path the gateway opens."""

    def __init__(
        self,
        addresses: list[int],
        *,
        battery_mv: int | None = 3700,
        pace_baud: int | None = None,
        **options: Any,
    ) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        self.device = os.ttyname(self._slave)
        self._line = _Line(self._master, pace_baud=pace_baud)
        self.nodes = {a: SimNode(self._line, a, battery_mv=battery_mv, **options)
                      for a in addresses}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="door-bus-sim", daemon=True)

    def start(self) -> SimulatedBus:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        for fd in (self._master, self._slave):
            os.close(fd)

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.001)
            if ready:
                self._line.from_gateway(os.read(self._master, 4096))
            now = ticks_ms()
            for sim in self.nodes.values():
                sim.node.step(now)


class SimulatedDoorNode(SimulatedBus):
    """A bus with a single door node, reached through the node's own attributes."""

    def __init__(self, address: int, **options: Any) -> None:
        super().__init__([address], **options)
        only = self.nodes[address]
        self.lock, self.contact, self.reader = only.lock, only.contact, only.reader
        self.uart, self.node = only.uart, only.node
        self.tap, self.set_door = only.tap, only.set_door
        self.handle, self.turn_handle = only.handle, only.turn_handle

    def start(self) -> SimulatedDoorNode:
        super().start()
        return self
