"""Every outside payload on the telemetry topic either becomes points or a counted
rejection; none stops the writer."""

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.telemetry.fast_decode import TelemetryDecoder
from cloud.telemetry.ingest import TelemetryIngest

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=20)
readings = st.dictionaries(st.sampled_from(["temperature_c", "occupied", "outbox_depth",
                                            "door_open", "weird", ""]), json_values, max_size=6)
envelopes = st.fixed_dictionaries({
    "v": st.sampled_from([1, 1, 1, 2, "1", None]),
    "type": st.sampled_from(["room.telemetry", "room.telemetry", "door.opened", "X"]),
    "ts": st.sampled_from(["2026-11-25T10:00:00Z", "2026-11-25T10:00:00", "yesterday", 5]),
    "source": st.sampled_from(["gw", "", 7]),
    "data": st.fixed_dictionaries({"room": st.sampled_from(["101", "102", "Bad", 1])},
                                  optional={"readings": readings,
                                            "samples": st.lists(st.fixed_dictionaries({
                                                "at": st.sampled_from(["2026-11-25T10:00:00Z",
                                                                       "nope"]),
                                                "readings": readings}), max_size=3)}),
})
payloads = st.one_of(st.binary(max_size=200),
                     envelopes.map(lambda e: json.dumps(e).encode()),
                     st.just(b'{"v":1,"type":"room.telemetry","source":"gw","data":'
                             b'{"room":"101","readings":{"temperature_c":NaN}}}'))
topics = st.sampled_from(["posada/v1/hq/f1/rooms/101/telemetry", "posada/v1/hq/f1/events",
                          "posada/v1/HQ/f1/rooms/101/telemetry", "elsewhere"])


class Sink:
    def __init__(self):
        self.points = []

    def write(self, points):
        for point in points:
            for value in point.fields.values():
                assert isinstance(value, bool) or math.isfinite(value)
        self.points += points
        return len(points)


@settings(max_examples=120, deadline=None)  # up to 20 messages each
@given(st.lists(st.tuples(topics, payloads), min_size=1, max_size=20))
@pytest.mark.slow
def test_hostile_payloads_become_points_or_counted_rejections(batch):
    sink = Sink()
    ingest = TelemetryIngest([sink])
    points, valid = TelemetryDecoder(ingest.rejections).points(batch)
    ingest.write_points(points, messages=valid)
    counted = sum(v for k, v in ingest.rejections.snapshot().items()
                  if not k.startswith("telemetry."))
    assert valid + counted == len(batch)
    assert all(p.room == "101" and p.site == "hq" for p in sink.points)
