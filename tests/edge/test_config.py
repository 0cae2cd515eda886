"""Gateway settings from a TOML file and POSADA_* variables."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.config import GatewayConfig, broker_address, load_config, settings_help
from edge.errors import ConfigError

BASE = {"POSADA_SITE": "hotel", "POSADA_FLOOR": "f1", "POSADA_ROOMS": "101, 102", "POSADA_SITE_NUMBER": "1",
        "POSADA_FLOOR_NUMBER": "1"}


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gw.toml"
    path.write_text(
        'site = "hotel"\nfloor = "f1"\nrooms = ["101"]\nresend_after_s = 30\ninflight_window = 7\n'
        'site_number = 1\nfloor_number = 1\n'
    )
    config = load_config(path, env={"POSADA_RESEND_AFTER_S": "2.5", "POSADA_ROOMS": '["201","202"]'})
    assert config.resend_after_s == 2.5
    assert config.inflight_window == 7
    assert config.rooms == ["201", "202"]


def test_rooms_from_a_comma_separated_variable() -> None:
    assert load_config(env=BASE).rooms == ["101", "102"]


def test_an_edge_table_in_the_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "gw.toml"
    path.write_text('[edge]\nsite = "annex"\nfloor = "g"\nrooms = ["1"]\nsite_number = 2\nfloor_number = 0\n')
    assert load_config(path, env={}).source == "gw.annex.g"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({**BASE, "POSADA_SITE": "Hotel!"}, "site"),
        ({**BASE, "POSADA_ROOMS": "101,101"}, "rooms"),
        ({**BASE, "POSADA_INFLIGHT_WINDOW": "0"}, "inflight_window"),
        ({**BASE, "POSADA_HARDWARE": "arduino"}, "hardware"),
        ({**BASE, "POSADA_MQTT_URL": "http://x"}, "mqtt:// "),
        ({"POSADA_SITE": "hotel"}, "floor"),
    ],
)
def test_invalid_settings_are_refused_naming_the_setting(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(env=env)
    assert names.strip() in str(caught.value)


def test_unknown_keys_in_the_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "gw.toml"
    path.write_text('site = "hotel"\nfloor = "f1"\nrooms = ["1"]\nresend_afer_s = 3\n')
    with pytest.raises(ConfigError, match="resend_afer_s"):
        load_config(path, env={})


def test_a_missing_or_broken_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "nope.toml", env={})
    broken = tmp_path / "broken.toml"
    broken.write_text("site = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken, env={})


def test_broker_user_defaults_to_the_gateway_identity() -> None:
    config = load_config(env={**BASE, "POSADA_MQTT_URL": "mqtt://broker:1884"})
    address = broker_address(config)
    assert (address.username, address.host, address.port, address.protocol) == (
        "gw.hotel.f1",
        "broker",
        1884,
        5,
    )
    named = load_config(env={**BASE, "POSADA_MQTT_URL": "mqtt://u:p%40ss@h?protocol=4"})
    assert (broker_address(named).username, broker_address(named).password) == ("u", "p@ss")
    assert broker_address(named).protocol == 4


def test_the_password_stays_out_of_the_repr() -> None:
    config = load_config(env={**BASE, "POSADA_MQTT_URL": "mqtt://u:secret@h:1883"})
    assert "secret" not in repr(config)


def test_help_describes_every_setting() -> None:
    text = settings_help()
    for name in GatewayConfig.model_fields:
        assert f"POSADA_{name.upper()}" in text


def test_keycard_access_needs_numbers_for_site_floor_and_rooms() -> None:
    keycard = {k: v for k, v in BASE.items() if not k.endswith("_NUMBER")}
    with pytest.raises(ConfigError, match="site_number and floor_number"):
        load_config(env=keycard)
    numbered = {**keycard, "POSADA_SITE_NUMBER": "3", "POSADA_FLOOR_NUMBER": "1"}
    assert load_config(env=numbered).floor_number == 1
    with pytest.raises(ConfigError, match="numbered rooms"):
        load_config(env={**numbered, "POSADA_ROOMS": "101,suite-a"})
    with pytest.raises(ConfigError, match="access"):  # the allow-list mode is gone
        load_config(env={**numbered, "POSADA_ACCESS": "list"})


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from([f"POSADA_{n.upper()}" for n in GatewayConfig.model_fields]),
                       st.text(max_size=40), max_size=8))
@pytest.mark.slow
def test_any_environment_gives_a_config_or_a_config_error(env: dict[str, str]) -> None:
    try:
        config = load_config(env={**BASE, **env})
    except ConfigError as exc:
        assert str(exc).startswith("invalid gateway configuration")
    else:
        assert config.site and config.rooms


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_any_file_gives_a_config_or_a_config_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "any.toml"
    path.write_bytes(content)
    with contextlib.suppress(ConfigError):
        load_config(path, env={})


@pytest.mark.parametrize(("doors", "extra", "message"), [
    ({"pool": {"node": 9, "area": "pool", "hours": "7-22"}}, {}, "opening hours"),
    ({"101": {"node": 9, "area": "gym"}}, {}, "named like rooms"),
    ({"pool": {"node": 3, "area": "pool"}}, {"POSADA_DOOR_NODES": '{"101": 3}'}, "share a node address"),
    ({"pool": {"node": 9, "area": "sauna"}}, {}, "area"),
    ({"pool": {"node": 9}}, {"POSADA_TIMEZONE": "Mars/Olympus"}, "time zone"),
    ({"car-park": {"node": 9, "area": "parking", "by_booking": True}}, {}, "opens by booking"),
])
def test_facility_doors_that_cannot_work_are_refused(doors: dict[str, object], extra: dict[str, str],
                                                     message: str) -> None:
    import json

    with pytest.raises(ConfigError, match=message):
        load_config(env={**BASE, **extra, "POSADA_FACILITY_DOORS": json.dumps(doors)})


def test_facility_doors_and_the_zone_are_read() -> None:
    doors = '{"gym": {"node": 4, "area": "gym", "hours": "06:00-23:00"}, "landing": {"node": 5}}'
    config = load_config(env={**BASE, "POSADA_TIMEZONE": "Europe/Madrid", "POSADA_FACILITY_DOORS": doors})
    assert config.facility_doors["gym"].hours == "06:00-23:00"
    assert config.facility_doors["landing"].area is None
    assert not config.facility_doors["gym"].by_booking
    pool = '{"pool": {"node": 4, "area": "pool", "hours": "07:00-22:00", "by_booking": true}}'
    assert load_config(env={**BASE, "POSADA_FACILITY_DOORS": pool}).facility_doors["pool"].by_booking
