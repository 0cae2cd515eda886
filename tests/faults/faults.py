"""The faults, each a function that applies one to a running harness and returns once it is over."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

from tests.faults import network
from tests.faults.accounting import last_seq, stamp_range
from tests.faults.harness import SITE, Harness
from tests.faults.services import GatewayProcess

Fault = Callable[[], None]


def _impair(h: Harness, seconds: float, *, delay_s: float = 0.0, loss: float = 0.0) -> None:
    for relay in (h.floor_relay, h.cloud_relay):
        relay.impairment.delay_s, relay.impairment.loss = delay_s, loss
    time.sleep(seconds)
    for relay in (h.floor_relay, h.cloud_relay):
        relay.impairment.delay_s, relay.impairment.loss = 0.0, 0.0
    h.heal()


def _partition(h: Harness, segment: network.Segment, seconds: float) -> None:
    network.partition(segment, cut=True)
    try:
        time.sleep(seconds)
    finally:
        network.partition(segment, cut=False)
    h.heal()


def _restart_then_run(
    h: Harness, seconds: float, stop: Callable[[], None], start: Callable[[], None], down_s: float = 2.0
) -> None:
    began = time.monotonic()
    stop()
    time.sleep(down_s)
    start()
    h.heal()
    time.sleep(max(0.0, seconds - (time.monotonic() - began)))


def _fill(h: Harness, directory: str, seconds: float) -> None:
    """Fill the gateway's file system to the last byte, hold it full, then free it."""
    filler = os.path.join(directory, "filler")
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
        time.sleep(seconds)
    finally:
        os.close(fd)
        os.unlink(filler)
    h.heal()


def _reboot_back_a_day(h: Harness, gateway: GatewayProcess, seconds: float) -> None:
    gateway.stop()
    since = last_seq(h.database("f1"))
    gateway.clock_offset = "-1d"
    gateway.start()
    h.heal()  # the gateway is back: its events must reach the cloud, whatever its clock says
    time.sleep(seconds)
    stamps = stamp_range(h.engine, site=SITE, floor="f1", after=since)
    now = datetime.now(UTC)
    if stamps is not None:
        print(
            f"  f1's events after the reboot were stamped {(now - stamps[0]).total_seconds():.0f} s to "
            f"{(now - stamps[1]).total_seconds():.0f} s before the harness's clock",
            flush=True,
        )
    gateway.stop()
    gateway.clock_offset = None
    gateway.start()


def all_faults(h: Harness) -> list[tuple[str, Fault]]:
    fault_s, partition_s = h.plan.fault_s, h.plan.partition_s
    f1 = h.gateways["f1"]
    return [
        ("none (steady load)", lambda: time.sleep(fault_s)),
        ("30 % packet loss, floor↔broker and broker↔cloud", lambda: _impair(h, fault_s, loss=0.3)),
        ("2 s latency each way, both links", lambda: _impair(h, fault_s, delay_s=2.0)),
        (f"partition floor↔broker, {partition_s:g} s", lambda: _partition(h, network.FLOOR, partition_s)),
        (f"partition broker↔cloud, {partition_s:g} s", lambda: _partition(h, network.CLOUD, partition_s)),
        ("broker restart", lambda: _restart_then_run(h, fault_s, h.broker.stop, h.broker.start)),
        (
            "PostgreSQL restart mid-ingest",
            lambda: _restart_then_run(h, fault_s, lambda: h.pg.stop("immediate"), h.pg.start),
        ),
        (
            "cloud worker SIGKILL mid-batch",
            lambda: _restart_then_run(h, fault_s, h.worker.kill, h.worker.start, 1.0),
        ),
        ("gateway f1 SIGKILL mid-publish", lambda: _restart_then_run(h, fault_s, f1.kill, f1.start, 1.0)),
        ("gateway f1 disk full", lambda: _fill(h, str(h.disk), fault_s)),
        ("gateway f1 reboots with its clock a day back", lambda: _reboot_back_a_day(h, f1, fault_s)),
    ]
