import threading
from datetime import UTC, datetime

from cloud.telemetry.handoff import TelemetryHandoff
from cloud.telemetry.ingest import TelemetryIngest
from tests.cloud.telemetry.factory import item

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
BATCH = [item("101", at=T0, readings={"temperature_c": 21.0})]


class SlowSink:
    def __init__(self):
        self.release = threading.Event()
        self.batches = 0

    def write(self, points):
        self.release.wait(10)
        self.batches += 1
        return len(points)


def test_submit_never_waits_for_the_writer_and_sheds_when_full():
    sink = SlowSink()
    handoff = TelemetryHandoff(TelemetryIngest([sink]), max_pending_batches=2)
    handoff.start()
    results = [handoff.submit(BATCH) for _ in range(5)]
    assert results.count(False) >= 2 and handoff.shed_batches == results.count(False)
    sink.release.set()
    handoff.stop()
    assert sink.batches == results.count(True)


def test_stop_writes_what_is_queued():
    sink = SlowSink()
    sink.release.set()
    handoff = TelemetryHandoff(TelemetryIngest([sink]))
    handoff.start()
    for _ in range(3):
        handoff.submit(BATCH)
    handoff.stop()
    assert sink.batches == 3 and handoff.ingest.counters.messages == 3
