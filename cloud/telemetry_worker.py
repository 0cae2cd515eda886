"""The telemetry worker's process: its composition root (settings read once), runs until signalled."""

from __future__ import annotations

import argparse
import logging
import os
import signal

from cloud.core.db import make_engine, make_sessionmaker
from cloud.settings import load, production_problems
from cloud.telemetry.alerts.monitor import AlertLoop, AlertMonitor
from cloud.telemetry.ingest import TelemetryIngest, build_sinks
from cloud.telemetry.worker import BrokerAddress, TelemetryWorker

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cloud.telemetry_worker",
        description="Subscribe to room telemetry (shared) and write it to InfluxDB and the "
                    "database. Settings: POSADA_MQTT_URL, POSADA_DATABASE_URL, POSADA_INFLUX_*, "
                    "POSADA_TELEMETRY_*, POSADA_ALERT_*.")
    parser.add_argument("--client-id", default=f"posada-telemetry-{os.getpid()}",
                        help="MQTT client id, unique per copy")
    parser.add_argument("--alerts", action="store_true",
                        help="also evaluate alerts every POSADA_ALERT_INTERVAL_S (keeps the "
                             "latest values in the database)")
    return parser


def _build(args: argparse.Namespace, parser: argparse.ArgumentParser,
           ) -> tuple[TelemetryWorker, AlertLoop | None]:
    core = load()
    settings = core.telemetry
    logging.basicConfig(level=core.log_level)
    if not core.mqtt_url:
        parser.error("POSADA_MQTT_URL is required (the worker does not start a broker)")
    try:
        broker = BrokerAddress.parse(core.mqtt_url)
    except ValueError as exc:
        parser.error(str(exc))
    problems = production_problems(core)
    if problems:
        parser.error("refusing to start:\n" + "\n".join(f"  {p}" for p in problems))
    if args.alerts:
        settings = settings.model_copy(update={"telemetry_keep_latest": True})
    needs_db = settings.telemetry_keep_latest or not settings.influx_url
    sessions = make_sessionmaker(make_engine(core.database_url)) if needs_db else None
    alerts = AlertLoop(AlertMonitor(sessions, thresholds=settings.thresholds()),
                       interval_s=settings.alert_interval_s) if args.alerts and sessions else None
    worker = TelemetryWorker(
        TelemetryIngest(build_sinks(settings, sessions)), broker=broker,
        client_id=args.client_id, share_group=settings.telemetry_share_group,
        batch_max=settings.telemetry_batch_max,
        batch_wait_s=settings.telemetry_batch_wait_ms / 1000)
    return worker, alerts


def run(argv: list[str] | None = None) -> int:
    parser = _parser()
    # Taken by this thread alone with sigwait (blocked before any thread starts, so inherited):
    # a Python handler may never run while the main thread is blocked in a wait, if the kernel
    # hands the signal to another thread.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        worker, alerts = _build(parser.parse_args(argv), parser)
        try:
            worker.start()
        except (OSError, TimeoutError) as exc:
            log.error("telemetry worker cannot start: %s", exc)
            return 1
        if alerts:
            alerts.start()
        signal.sigwait(stop_signals)
        if alerts:
            alerts.stop()
        worker.stop()
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
    counters = worker.ingest.counters
    log.info("telemetry worker stopped: %d received, %d points, %d lost batches, %d overflow, "
             "busy %.3f s, rejections %s", worker.received, counters.points,
             counters.lost_batches, worker.overflow, worker.busy_s,
             worker.ingest.rejections.snapshot())
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
