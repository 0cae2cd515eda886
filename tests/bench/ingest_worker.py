"""One cloud ingest worker in a process of its own, for benchmarks that must not share its GIL.

Run: python -m tests.bench.ingest_worker MQTT_URL DATABASE_URL CLIENT_ID [SHARE_GROUP]   (stops on SIGTERM)
"""

from __future__ import annotations

import signal
import sys

from cloud.core import heap
from cloud.core.db import make_engine
from cloud.ingest.link import CloudLink
from cloud.ingest.service import IngestService
from cloud.ingest.store import IngestStore


def main(mqtt_url: str, database_url: str, client_id: str, share_group: str | None = None) -> int:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    engine = make_engine(database_url)
    link = CloudLink(mqtt_url, client_id=client_id, share_group=share_group)
    ingest = IngestService(link, IngestStore(engine))
    ingest.start()
    link.start()
    if not link.connected.wait(30):
        return 1
    heap.settle()  # as the cloud app does once its ingest has started
    print("connected", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    link.stop()
    ingest.stop()
    engine.dispose()
    c = ingest.counters
    print(f"stored {c.stored} duplicates {c.duplicates} batches {c.batches}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:5]))
