"""``posada edge`` as ``edge.main`` runs it, with each tap's decision timed into a file.

Run: python -m tests.faults.gateway_proc CONFIG TAPS_FILE UNRECORDED_FILE   (stops on SIGTERM)
Each line of TAPS_FILE: the monotonic time the tap began, how long deciding and recording it took
(ms), and ``ok`` or the error that stopped it. Each line of UNRECORDED_FILE: the monotonic time of
an input (tap, door, motion) whose event could not be recorded, and the error: lost at the source.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from edge.app import Gateway, build
from edge.config import load_config
from edge.main import prefer_latency


def timed(gateway: Gateway, out: IO[str]) -> None:
    decide = gateway.card_presented

    def card_presented(room: str, card: bytes, *, door: str | None = None) -> bool:
        began = time.monotonic()
        outcome = "ok"
        try:
            return decide(room, card, door=door)
        except Exception as exc:
            outcome = type(exc).__name__
            raise
        finally:
            out.write(f"{began:.4f} {(time.monotonic() - began) * 1000:.3f} {outcome}\n")
            out.flush()

    gateway.card_presented = card_presented  # type: ignore[method-assign]


def unrecorded(gateway: Gateway, out: IO[str]) -> None:
    feed = gateway.feed

    def counted(room: str, signal: Any) -> None:
        try:
            feed(room, signal)
        except Exception as exc:
            out.write(f"{time.monotonic():.4f} {type(exc).__name__}\n")
            out.flush()
            raise

    gateway.feed = counted  # type: ignore[method-assign]


def sleep_without_nanosleep() -> None:
    """Under libfaketime (the clock row), ``time.sleep`` fails with EINVAL: its wrapper of
    ``clock_nanosleep`` shifts the absolute monotonic deadline by the fake offset even with
    FAKETIME_DONT_FAKE_MONOTONIC. A failed connect's backoff (paho sleeps) would then end paho's
    thread. Sleeping as a timed wait on an event, which libfaketime leaves alone, is the same sleep."""

    def sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        threading.Event().wait(seconds)

    time.sleep = sleep


def main(config_path: str, taps_path: str, unrecorded_path: str) -> int:
    if os.environ.get("FAKETIME"):
        sleep_without_nanosleep()
    config = load_config(Path(config_path))
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    prefer_latency()
    with open(taps_path, "a", encoding="utf-8") as taps, open(unrecorded_path, "a", encoding="utf-8") as lost:
        gateway, simulator = build(config)
        timed(gateway, taps)
        unrecorded(gateway, lost)
        gateway.start()
        if simulator is not None:
            simulator.start()
        signal.sigwait(stop)
        if simulator is not None:
            simulator.stop()
        gateway.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
