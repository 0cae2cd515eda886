"""The node's main loop waits on its UART: it wakes when the gateway's bytes arrive (CPython's
select stands in for MicroPython's, on a pty), and falls back to sleeping without one."""

from __future__ import annotations

import os
import time
import tty

import pytest

from firmware.doornode.run import uart_poller
from tests.firmware.fw_fakes import FakeUart

pytestmark = pytest.mark.unit


class PtyUart:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        return self._fd


def test_the_loop_wakes_when_bytes_reach_the_uart() -> None:
    master, slave = os.openpty()
    try:
        tty.setraw(slave)
        poller = uart_poller(PtyUart(slave))
        assert poller is not None
        assert poller.poll(0) == []
        os.write(master, b"\xa5\x5a")
        started = time.perf_counter()
        assert poller.poll(1000) and time.perf_counter() - started < 0.5
    finally:
        os.close(master)
        os.close(slave)


def test_a_uart_that_cannot_be_polled_falls_back_to_sleeping() -> None:
    assert uart_poller(FakeUart()) is None
