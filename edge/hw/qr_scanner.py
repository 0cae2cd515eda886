"""A 2-D barcode scanner at a door, in its USB serial (CDC-ACM) mode: it types one line per code.

Most 2-D scanners (and the serial QR modules made for door panels) can present themselves as a
serial port instead of a keyboard; that mode reaches the gateway without a keyboard layout or a
desktop focus. Each line read is handed on with the door it came from; an overlong line (no end
in sight) is dropped to its end, so noise cannot grow the buffer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import serial

from edge.access.scan import MAX_TEXT
from edge.hw.errors import SerialPortError

log = logging.getLogger(__name__)
ENDS = (b"\r", b"\n")
MAX_LINE = MAX_TEXT + 64  # a read this long without an end is noise


def open_scanner(url: str, *, baudrate: int = 9600) -> serial.SerialBase:
    """A scanner's port by device path or pyserial URL (``/dev/ttyACM0``, a pty, ``loop://``)."""
    try:
        return serial.serial_for_url(url, baudrate=baudrate, timeout=0.1)
    except (serial.SerialException, ValueError, OSError) as exc:
        raise SerialPortError(f"cannot open scanner {url!r}: {exc}") from exc


class LineReader:
    """Bytes in, complete lines out (pure; fed by the port's reads)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._skipping = False
        self.dropped = 0

    def feed(self, data: bytes) -> list[bytes]:
        lines = []
        for byte in data:
            char = bytes((byte,))
            if char in ENDS:
                if self._buffer and not self._skipping:
                    lines.append(bytes(self._buffer))
                self._buffer.clear()
                self._skipping = False
            elif not self._skipping:
                self._buffer.append(byte)
                if len(self._buffer) > MAX_LINE:
                    self._buffer.clear()
                    self._skipping, self.dropped = True, self.dropped + 1
        return lines


class SerialScanner:
    """Reads a door's scanner in its own thread; ``on_scan(door, line)`` for every line."""

    def __init__(self, *, door: str, url: str, on_scan: Callable[[str, bytes], None],
                 open_port: Callable[[str], serial.SerialBase] = open_scanner) -> None:
        self.door, self._url, self._on_scan, self._open = door, url, on_scan, open_port
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # set while the port is open: a code shown before that is not read (opening drops input)
        self.reading = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"scanner-{self.door}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                port = self._open(self._url)
            except SerialPortError as exc:
                log.error("door %s: %s; retrying", self.door, exc)
                self._stop.wait(2.0)
                continue
            self.reading.set()
            try:
                self._read(port)
            except (serial.SerialException, OSError) as exc:
                log.error("door %s: scanner failed: %s; reopening", self.door, exc)
                self._stop.wait(1.0)
            finally:
                self.reading.clear()
                port.close()

    def _read(self, port: serial.SerialBase) -> None:
        lines = LineReader()
        while not self._stop.is_set():
            data = port.read(256)
            for line in lines.feed(data):
                try:
                    self._on_scan(self.door, line)
                except Exception:  # the scanner must keep reading whatever a decision did downstream
                    log.exception("door %s: a scan was not handled", self.door)
