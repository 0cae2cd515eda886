"""The simulated twin of a door's scanner: a pty whose far end the gateway opens as the scanner's
serial port; ``show(text)`` is a code held to the scanner, typed as the real one types it."""

from __future__ import annotations

import contextlib
import os
import tty


class SimulatedScanner:
    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        self.device = os.ttyname(self._slave)

    def show(self, text: str) -> None:
        """A code read: its text and the carriage return a scanner ends each read with."""
        os.write(self._master, text.encode("ascii") + b"\r")

    def close(self) -> None:
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
