"""The cloud's settings: one tree, read once, each area's part handed to it by the app factory."""

from __future__ import annotations

import os
import sys

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from cloud.auth.settings import AuthSettings
from cloud.billing.settings import BillingSettings
from cloud.channels.settings import ChannelSettings
from cloud.core.config import AreaSource, area_fields, config_file, describe, read_toml, share_root_values
from cloud.core.proxies import networks
from cloud.guests.settings import GuestSettings
from cloud.guestweb.settings import GuestWebSettings
from cloud.notify.settings import NotifySettings
from cloud.telemetry.settings import GrafanaSettings, TelemetrySettings

DEFAULT_SECRET = "change-me-posada-development-only"
MIN_SECRET_LENGTH = 32
AREA_TITLES = {
    "auth": "staff access",
    "guests": "guest data",
    "billing": "billing and payments",
    "notify": "notifications",
    "telemetry": "telemetry and alerts",
    "grafana": "Grafana provisioning",
    "channels": "channel manager (iCal, OTA XML)",
    "guestweb": "guest self-service",
}


class Settings(BaseSettings):
    """Every field is ``POSADA_<NAME>`` in the environment or ``<name>`` in the config file
    (``POSADA_CONFIG``); an area's fields may also sit in a table named after the area."""

    model_config = SettingsConfigDict(env_prefix="POSADA_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/posada-cloud.db",
        description="SQLAlchemy URL; sqlite:///path (default) or postgresql+psycopg://...",
    )
    mqtt_url: str | None = Field(
        default=None,
        description="mqtt://user:password@host:port of the broker; unset: start the embedded one",
    )
    mqtt_enabled: bool = Field(default=True, description="connect to MQTT (off: API and portal only)")
    embedded_broker_port: int = Field(default=1883, description="port of the embedded broker")
    mqtt_client_id: str = Field(default="posada-cloud", description="MQTT client id (unique per worker)")
    mqtt_share_group: str | None = Field(
        default=None, description="shared-subscription group so several workers split ingest"
    )
    http_host: str = Field(default="127.0.0.1", description="address the API and portal bind")
    http_port: int = Field(default=8000, description="port of the API and portal")
    http_workers: int = Field(default=1, ge=1, description="processes serving HTTP on the port (posada "
                              "cloud --workers); one of them runs MQTT ingest and the background loops")
    http_threads: int = Field(default=16, ge=1, description="threads per process for blocking request work "
                              "(each may hold a database connection)")
    http_max_in_flight: int = Field(default=24, ge=1, description="requests a process works on at once; "
                                    "more wait for a slot, or get 503 with Retry-After")
    http_answer_within_ms: int = Field(default=1000, ge=0, description="a request waits for a slot only "
                                       "while it could still be answered within this (503 after)")
    http_max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024, description="request bodies over "
                                     "this many bytes are refused with 413")
    http_trusted_proxies: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="reverse proxies (addresses or networks, JSON list) whose X-Forwarded-For names the "
                    "client; per-client limits count that address. Empty: the connection's address")
    api_rate_per_minute: int = Field(default=600, ge=1, description="requests a minute one API token may "
                                     "make on average (all HTTP workers together); more get 429 "
                                     "with Retry-After")
    api_rate_burst: int = Field(default=120, ge=1, description="requests one API token may make at once")
    api_rate_shared: bool | None = Field(default=None, description="keep API token buckets in the database, "
                                         "shared by every HTTP worker (unset: when http_workers is more "
                                         "than 1)")
    api_rate_sync_ms: int = Field(default=250, ge=10, le=10_000, description="how often each HTTP worker "
                                  "reports its API requests to the shared buckets and reads them back")
    secret_key: str = Field(
        default=DEFAULT_SECRET,
        description="signs session cookies and CSRF tokens: at least 32 random characters; "
                    "`posada cloud` refuses the development default (the demo and tests use it)",
    )
    keys_dir: str = Field(default="var/keys",
                          description="directory of the property's card-signing keys (kept private, 0600)")
    ingest_batch_max: int = Field(default=2000, description="events per database commit, at most")
    ingest_batch_wait_ms: int = Field(default=20, description="longest wait to fill a batch")
    log_level: str = Field(default="INFO", description="logging level")

    auth: AuthSettings = Field(default_factory=AuthSettings)
    guests: GuestSettings = Field(default_factory=GuestSettings)
    billing: BillingSettings = Field(default_factory=BillingSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    guestweb: GuestWebSettings = Field(default_factory=GuestWebSettings)
    grafana: GrafanaSettings = Field(default_factory=GrafanaSettings)
    channels: ChannelSettings = Field(default_factory=ChannelSettings)

    @field_validator("http_trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: list[str]) -> list[str]:
        networks(value)  # ValueError names the entry that is no address or network
        return value

    @model_validator(mode="after")
    def _one_secret(self) -> Settings:
        """The areas that sign or derive keys (auth, guests) use the root's secret."""
        share_root_values(self)
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = config_file()
        sources: list[PydanticBaseSettingsSource] = [
            init_settings, env_settings,
            AreaSource(settings_cls, environ=os.environ, file=read_toml(path)),
        ]
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)


def describe_settings() -> str:
    """``posada cloud --help``: every setting of the tree, area by area."""
    parts = [describe(Settings)]
    for area, model in area_fields(Settings):
        parts.append(f"{AREA_TITLES.get(area, area)}:\n{describe(model)}")
    return "\n".join(parts)


def load() -> Settings:
    """The settings of this process: the environment and ``POSADA_CONFIG``, read once."""
    return Settings()



def production_problems(settings: Settings) -> list[str]:
    """Why these settings must not serve a real hotel: the development secret, or guest-data keys
    derived from the secret instead of given. ``posada demo`` and the tests run on defaults; the
    processes that serve production refuse to start while this list is not empty."""
    from cloud.guests.crypto import KeyConfigError, keys_from

    problems = []
    if settings.secret_key == DEFAULT_SECRET:
        problems.append("POSADA_SECRET_KEY is the development default; set a random value of at least "
                        f"{MIN_SECRET_LENGTH} characters (openssl rand -hex 32)")
    elif len(settings.secret_key) < MIN_SECRET_LENGTH:
        problems.append(f"POSADA_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters")
    guests = settings.guests
    if not guests.guest_keys.strip():
        problems.append("POSADA_GUEST_KEYS is not set: guest data would be encrypted with a key derived "
                        "from the secret key; give kid=base64(32 bytes), e.g. k1=$(openssl rand -base64 32)")
    if not guests.guest_index_key.strip():
        problems.append("POSADA_GUEST_INDEX_KEY is not set: the guest search index would be keyed from "
                        "the secret key; give base64(32 bytes) (openssl rand -base64 32)")
    if guests.guest_keys.strip() and guests.guest_index_key.strip():
        try:
            keys_from(guests)
        except KeyConfigError as exc:
            problems.append(str(exc))
    return problems


def refuse_defaults(settings: Settings, *, prog: str) -> None:
    """Stop a production process (exit 2) naming every setting it cannot start with."""
    problems = production_problems(settings)
    if problems:
        print(f"{prog}: refusing to start:\n" + "\n".join(f"  {p}" for p in problems), file=sys.stderr)
        raise SystemExit(2)
