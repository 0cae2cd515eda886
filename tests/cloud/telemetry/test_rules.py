from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.telemetry.alerts.rules import (
    AlertKey,
    AlertKind,
    Finding,
    Observed,
    Snapshot,
    Thresholds,
    evaluate,
    plan,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
T = Thresholds()


def obs(value, *, ago=0.0, since_ago=None, rising_ago=None):
    at = NOW - timedelta(seconds=ago)
    since = NOW - timedelta(seconds=since_ago if since_ago is not None else ago)
    rising = NOW - timedelta(seconds=rising_ago) if rising_ago is not None else None
    return Observed(value, at, since, rising)


def kinds(room="101", **readings):
    return {k.kind for k in evaluate([Snapshot("hq", "f1", room, readings)], thresholds=T, now=NOW)}


def test_healthy_room_raises_nothing():
    assert kinds(temperature_c=obs(21.0), humidity_pct=obs(45.0), door_open=obs(False),
                 lock_battery_v=obs(2.9)) == set()


def test_door_open_past_the_limit_is_ajar_but_not_before():
    assert kinds(door_open=obs(True, since_ago=T.door_ajar_s + 1)) == {AlertKind.DOOR_AJAR}
    assert kinds(door_open=obs(True, since_ago=T.door_ajar_s - 1)) == set()


@pytest.mark.parametrize(("key", "value", "kind"), [
    ("temperature_c", 12.0, AlertKind.TEMPERATURE), ("temperature_c", 31.0, AlertKind.TEMPERATURE),
    ("humidity_pct", 80.0, AlertKind.HUMIDITY), ("humidity_pct", 10.0, AlertKind.HUMIDITY),
    ("lock_battery_v", 2.3, AlertKind.LOCK_BATTERY),
])
def test_out_of_range_readings_alert(key, value, kind):
    assert kinds(**{key: obs(value)}) == {kind}


def test_stale_climate_does_not_alert_as_out_of_range_but_as_a_silent_node():
    assert kinds(temperature_c=obs(5.0, ago=T.node_silent_s + 1)) == {AlertKind.NODE_SILENT}


def test_gateway_silence_is_gateway_offline_not_a_silent_node():
    assert kinds("gateway", outbox_depth=obs(0, ago=T.gateway_offline_s + 1)) == {
        AlertKind.GATEWAY_OFFLINE}


def test_outbox_alerts_only_when_deep_and_rising_long_enough():
    deep = T.outbox_depth + 1
    assert kinds("gateway", outbox_depth=obs(deep, rising_ago=T.outbox_growing_s + 1)) == {
        AlertKind.OUTBOX_GROWING}
    assert kinds("gateway", outbox_depth=obs(deep, rising_ago=10)) == set()
    assert kinds("gateway", outbox_depth=obs(deep)) == set()
    assert kinds("gateway", outbox_depth=obs(5, rising_ago=T.outbox_growing_s + 1)) == set()


def test_naive_now_is_refused():
    with pytest.raises(ValueError):
        evaluate([], thresholds=T, now=NOW.replace(tzinfo=None))


def key(room):
    return AlertKey(AlertKind.DOOR_AJAR, "hq", "f1", room)


def test_plan_opens_new_refreshes_lasting_and_closes_cleared():
    findings = {key("101"): Finding(key("101"), "x"), key("102"): Finding(key("102"), "y")}
    steps = plan([key("102"), key("103")], findings)
    assert [f.key for f in steps.to_open] == [key("101")]
    assert [f.key for f in steps.still_open] == [key("102")]
    assert steps.to_close == [key("103")]


@given(st.lists(st.sets(st.sampled_from(["101", "102", "103", "104"])), max_size=20))
def test_replaying_any_sequence_of_conditions_opens_each_episode_exactly_once(history):
    open_keys: set = set()
    opened = closed = 0
    episodes = 0
    previous: set = set()
    for rooms in history:
        findings = {key(r): Finding(key(r), "") for r in rooms}
        steps = plan(open_keys, findings)
        opened += len(steps.to_open)
        closed += len(steps.to_close)
        open_keys = (open_keys | {f.key for f in steps.to_open}) - set(steps.to_close)
        assert open_keys == set(findings)
        episodes += len(rooms - previous)
        previous = rooms
    assert opened == episodes
    assert opened - closed == len(open_keys)


def test_an_offline_gateway_silences_its_floors_nodes_instead_of_alerting_each():
    old = T.gateway_offline_s + T.node_silent_s
    snaps = [Snapshot("hq", "f1", "gateway", {"outbox_depth": obs(0, ago=old)}),
             Snapshot("hq", "f1", "101", {"door_open": obs(False, ago=old)}),
             Snapshot("hq", "f2", "201", {"door_open": obs(False, ago=old)})]
    found = evaluate(snaps, thresholds=T, now=NOW)
    assert sorted((k.kind, k.floor, k.subject) for k in found) == [
        (AlertKind.NODE_SILENT, "f2", "201"), (AlertKind.GATEWAY_OFFLINE, "f1", "gateway")]
