"""The settings tree: read once from the environment and the TOML file, each area given its part."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from cloud.guests.crypto import keys_from
from cloud.settings import Settings, describe_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("POSADA_"):
            monkeypatch.delenv(name)


def test_flat_variables_reach_each_areas_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSADA_STRIPE_SECRET_KEY", "sk_test_1")
    monkeypatch.setenv("POSADA_ARGON2_TIME_COST", "2")
    monkeypatch.setenv("POSADA_BILLING_TAXES", '{"*": {"rates": [{"code": "VAT", "percent": "10"}]}}')
    monkeypatch.setenv("POSADA_REMINDER_AFTER_DEPARTURE_H", "[12, 48]")
    settings = Settings()
    assert settings.billing.stripe_secret_key == "sk_test_1"
    assert settings.auth.argon2_time_cost == 2
    assert settings.billing.tax_policy("anywhere").rates[0].code == "VAT"
    assert settings.notify.reminder_after_departure_h == [12, 48]


def test_the_config_file_sets_root_and_area_settings_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cloud.toml"
    config.write_text('database_url = "sqlite:///x.db"\nsecret_key = "from-the-file-0123456789"\n'
                      'whatsapp_token = "flat-key"\n[telemetry]\nalert_interval_s = 5.0\n'
                      '[auth]\nlockout_threshold = 9\n')
    monkeypatch.setenv("POSADA_CONFIG", str(config))
    monkeypatch.setenv("POSADA_LOCKOUT_THRESHOLD", "4")
    settings = Settings()
    assert settings.database_url == "sqlite:///x.db"
    assert settings.notify.whatsapp_token == "flat-key"
    assert settings.telemetry.alert_interval_s == 5.0
    assert settings.auth.lockout_threshold == 4


def test_a_secret_only_in_the_file_keys_guest_data_and_csrf_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cloud.toml"
    config.write_text('secret_key = "only-in-the-file-0123456789"\n')
    monkeypatch.setenv("POSADA_CONFIG", str(config))
    settings = Settings()
    assert settings.auth.secret_key == settings.guests.secret_key == "only-in-the-file-0123456789"
    from_file = keys_from(settings.guests)[0]
    monkeypatch.delenv("POSADA_CONFIG")
    default = keys_from(Settings().guests)[0]
    assert from_file.keys[from_file.active] != default.keys[default.active]


def test_a_bad_value_names_its_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSADA_ALERT_INTERVAL_S", "-1")
    with pytest.raises(ValidationError, match="alert_interval_s"):
        Settings()
    monkeypatch.setenv("POSADA_ALERT_INTERVAL_S", "30")
    monkeypatch.setenv("POSADA_BILLING_TAXES", "{not json")
    with pytest.raises(SettingsError, match="POSADA_BILLING_TAXES is not valid JSON"):
        Settings()


def test_help_lists_every_areas_settings() -> None:
    text = describe_settings()
    for name in ("POSADA_DATABASE_URL", "POSADA_SESSION_IDLE_MINUTES", "POSADA_GUEST_KEYS",
                 "POSADA_STRIPE_SECRET_KEY", "POSADA_QR_MERCHANT_NAME", "POSADA_WHATSAPP_TOKEN",
                 "POSADA_TELEGRAM_BOT_TOKEN", "POSADA_INFLUX_URL", "POSADA_ALERT_DOOR_AJAR_S",
                 "POSADA_GRAFANA_URL"):
        assert name in text
    for area in ("auth", "guests", "billing", "notify", "telemetry", "grafana"):
        assert f"POSADA_{area.upper()} " not in text  # the parts are not settings themselves


def test_the_roots_secret_is_the_one_every_area_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSADA_SECRET_KEY", "from-the-environment-0123456789")
    given = Settings(secret_key="given-in-code-0123456789")
    assert given.auth.secret_key == given.guests.secret_key == "given-in-code-0123456789"
    read = Settings()
    assert read.auth.secret_key == read.guests.secret_key == "from-the-environment-0123456789"
