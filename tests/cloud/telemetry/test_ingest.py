from datetime import UTC, datetime

from cloud.telemetry.errors import TelemetryWriteError
from cloud.telemetry.ingest import TelemetryIngest
from cloud.telemetry.latest import LatestStore
from cloud.telemetry.points import all_points
from tests.cloud.telemetry.dbutil import migrated
from tests.cloud.telemetry.factory import item

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
BATCH = [item("101", at=T0, readings={"temperature_c": 21.0}),
         item("102", at=T0, readings={"occupied": True, "co2_ppm": 3})]


class Sink:
    def __init__(self, failures=(), permanent=False):
        self.failures = list(failures)
        self.permanent = permanent
        self.batches = []

    def write(self, points):
        if self.failures:
            self.failures.pop()
            raise TelemetryWriteError("server said no", permanent=self.permanent)
        self.batches.append(points)
        return len(points)


def test_every_sink_gets_the_batch_and_counters_add_up():
    sinks = [Sink(), Sink()]
    ingest = TelemetryIngest(sinks)
    assert ingest.ingest(BATCH) == 2
    assert all(len(s.batches[0]) == 2 for s in sinks)
    assert ingest.counters.messages == 2 and ingest.counters.points == 2
    assert ingest.rejections.snapshot() == {"telemetry.reading": 1}


def test_transient_failure_is_retried_with_growing_backoff():
    sleeps: list[float] = []
    sink = Sink(failures=[1, 1])
    ingest = TelemetryIngest([sink], backoff_s=0.1, sleep=sleeps.append)
    ingest.ingest(BATCH)
    assert len(sink.batches) == 1 and sleeps == [0.1, 0.2]
    assert ingest.counters.retried_writes == 2 and ingest.counters.lost_batches == 0


def test_permanent_failure_loses_that_sinks_batch_only():
    broken, fine = Sink(failures=[1], permanent=True), Sink()
    ingest = TelemetryIngest([broken, fine], sleep=lambda _: None)
    ingest.ingest(BATCH)
    assert broken.batches == [] and len(fine.batches) == 1
    assert ingest.counters.lost_batches == 1 and ingest.counters.retried_writes == 0


def test_database_away_is_a_transient_write_error(tmp_path):
    sessions = migrated(f"sqlite:///{tmp_path / 'c.db'}")
    store = LatestStore(sessions)
    sessions.kw["bind"].dispose()
    (tmp_path / "c.db").unlink()
    (tmp_path / "c.db").mkdir()  # the file is gone and cannot be created
    try:
        store.write(all_points(BATCH))
    except TelemetryWriteError as exc:
        assert exc.permanent is False
    else:
        raise AssertionError("expected a write error")
