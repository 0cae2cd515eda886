"""Cloud settings: ``POSADA_*`` environment variables or a TOML file with the same names."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """Every field is ``POSADA_<NAME>`` in the environment or ``<name>`` in the config file."""

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
    secret_key: str = Field(
        default="change-me-posada-development-only",
        description="signs session cookies; set a long random value in production",
    )
    keys_dir: str = Field(default="var/keys",
                          description="directory of the property's card-signing keys (kept private, 0600)")
    ingest_batch_max: int = Field(default=2000, description="events per database commit, at most")
    ingest_batch_wait_ms: int = Field(default=20, description="longest wait to fill a batch")
    log_level: str = Field(default="INFO", description="logging level")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("POSADA_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)


def describe_settings(cls: type[BaseSettings] = Settings) -> str:
    """Help text listing every setting with its variable name and default."""
    lines = []
    for name, field in cls.model_fields.items():
        default: Any = field.default
        lines.append(f"  POSADA_{name.upper():<26} {field.description or ''} [default: {default}]")
    return "\n".join(lines)
