import pytest
from pydantic import ValidationError

from cloud.settings import Settings
from cloud.telemetry.influx import InfluxSink
from cloud.telemetry.ingest import build_sinks
from cloud.telemetry.latest import LatestStore
from cloud.telemetry.settings import TelemetrySettings


def test_settings_read_posada_environment_variables(monkeypatch):
    monkeypatch.setenv("POSADA_INFLUX_URL", "http://influx:8086")
    monkeypatch.setenv("POSADA_INFLUX_BUCKET", "rooms")
    monkeypatch.setenv("POSADA_ALERT_DOOR_AJAR_S", "90")
    settings = Settings().telemetry  # the tree reads the environment once, for every area
    assert settings.influx_url == "http://influx:8086" and settings.influx_bucket == "rooms"
    assert settings.thresholds().door_ajar_s == 90


def test_inverted_ranges_are_refused(monkeypatch):
    monkeypatch.setenv("POSADA_ALERT_TEMPERATURE_MIN_C", "30")
    with pytest.raises(ValidationError, match="temperature"):
        Settings()
    with pytest.raises(ValidationError, match="temperature"):
        TelemetrySettings(alert_temperature_min_c=30)


def test_without_influx_the_latest_values_are_kept():
    sinks = build_sinks(TelemetrySettings(influx_url=None, telemetry_keep_latest=False),
                        sessions=object())
    assert [type(s) for s in sinks] == [LatestStore]


def test_with_influx_and_latest_both_sinks_are_written():
    sinks = build_sinks(TelemetrySettings(influx_url="http://127.0.0.1:1"), sessions=object())
    assert [type(s) for s in sinks] == [InfluxSink, LatestStore]
