"""``posada edge --config FILE`` (or ``python -m edge.main --config FILE``): run one floor gateway."""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path

from edge.app import build
from edge.config import load_config, settings_help
from edge.errors import ConfigError
from edge.hw.errors import HardwareError

log = logging.getLogger(__name__)
# A thread that comes back from SQLite or an fsync waits for the interpreter lock until the running
# thread gives it up: 5 ms by default, several times per tap while the outbox drains a backlog.
SWITCH_INTERVAL_S = 0.0005


def prefer_latency() -> None:
    """Hand the interpreter lock over sooner, so a tap is not queued behind the outbox relay."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def settle_heap() -> None:
    """Move what start-up built (modules, models, the wiring: it lives as long as the process) out
    of the collector's reach, so the relay's allocations do not make it walk all of that again."""
    gc.collect()
    gc.freeze()


def run(config_path: Path | None) -> int:
    config = load_config(config_path)
    logging.basicConfig(level=config.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # SIGTERM/SIGINT are taken by this thread alone, with sigwait: blocked before any thread
    # starts (threads inherit the mask), they stay pending until it asks. With a Python handler
    # instead, the kernel may deliver the signal to any other thread, and the handler waits for
    # the main thread to run bytecode, which a main thread blocked in Event.wait() never does.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    prefer_latency()
    try:
        gateway, simulator = build(config)
        settle_heap()
        gateway.start()
        if simulator is not None:
            simulator.start()
        log.info("gateway %s running with %d rooms", config.source, len(config.rooms))
        received = signal.sigwait(stop_signals)
        log.info("stopping on %s", signal.Signals(received).name)
        if simulator is not None:
            simulator.stop()
        gateway.stop()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="posada edge", description="Run one floor gateway.", epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", type=Path, default=None, help="TOML settings file (POSADA_* env wins)")
    args = parser.parse_args(argv)
    try:
        return run(args.config)
    except ConfigError as exc:
        parser.exit(2, f"posada edge: {exc}\n")
    except (OSError, sqlite3.Error, HardwareError) as exc:
        parser.exit(1, f"posada edge: cannot start: {exc}\n")


if __name__ == "__main__":
    raise SystemExit(main())
