"""The fault harness's own parts that need no root: its relay and its arithmetic."""

from __future__ import annotations

import random
import socket
import threading
import time
from pathlib import Path

from tests.faults.accounting import Row, Taps, percentile, table, taps_between, unrecorded_between
from tests.faults.relay import Impairment, Relay


def test_a_chunk_waits_for_each_of_its_retransmissions_and_never_without_loss() -> None:
    rng = random.Random(1)
    assert Impairment(loss=0.0).hold(rng) == 0.0
    always = Impairment(loss=1.0, rto_s=0.2)
    assert always.hold(rng) == sum(0.2 * 2**k for k in range(9))  # doubling until a minute


def test_the_relay_delays_each_direction() -> None:
    echo = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = echo.accept()
        conn.sendall(conn.recv(100))
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    relay = Relay(listen=("127.0.0.1", 0), target=echo.getsockname())
    relay.impairment.delay_s = 0.1
    began = time.monotonic()
    with socket.create_connection(("127.0.0.1", relay.port), timeout=5) as client:
        client.sendall(b"ping")
        assert client.recv(100) == b"ping"
    assert time.monotonic() - began >= 0.2
    relay.close()
    echo.close()


def test_taps_and_losses_are_counted_inside_the_window_only(tmp_path: Path) -> None:
    taps = tmp_path / "taps.txt"
    taps.write_text("9.0 5.0 ok\n10.0 7.0 ok\n11.0 300.0 ok\n11.5 1.0 OperationalError\n20.0 2.0 ok\n")
    assert taps_between([taps, tmp_path / "absent"], start=10.0, end=12.0) == Taps(2, 1, 300.0)
    lost = tmp_path / "unrecorded.txt"
    lost.write_text("9.0 OperationalError\n10.5 OperationalError\n")
    assert unrecorded_between([lost], start=10.0, end=12.0) == 1
    assert percentile([float(v) for v in range(1, 101)], 99) == 99.0


def test_the_table_names_events_never_recorded_among_the_lost() -> None:
    row = Row("disk full", 10, 9, 0, 2, 1.25, Taps(5, 0, 12.5), unrecorded=1)
    assert "| disk full | 10 | 9 | 0 | 2 (1 never recorded) | 1.2 s | 5 | 12.5 ms |" in table([row])
