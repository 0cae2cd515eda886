"""Settings of the channel manager (``POSADA_CHANNELS_*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from cloud.core.config import AreaSettings


class ChannelSettings(AreaSettings):
    channels_enabled: bool = Field(default=True, description="run the ARI sender and the iCal importer")
    channels_horizon_days: int = Field(
        default=365, ge=1, le=730, description="nights ahead that channels are told about"
    )
    channels_ical_max_bytes: int = Field(
        default=2_000_000, ge=1024, description="an imported iCal feed larger than this is refused"
    )
    channels_ical_interval_s: float = Field(
        default=900, gt=0, description="seconds between imports of iCal feeds"
    )
    channels_sender: Literal["auto", "process", "thread", "external"] = Field(
        default="auto",
        description="where the ARI sender runs: a process of its own that the cloud starts (auto on "
        "PostgreSQL), a thread of the cloud (auto on SQLite), or external (`posada channels-sender`)",
    )
    channels_push_interval_s: float = Field(
        default=0.5,
        gt=0,
        description="seconds between rounds of the ARI sender when no notification wakes it",
    )
    channels_idle_s: float = Field(
        default=5, gt=0, description="longest sleep of a sender that database notifications wake"
    )
    channels_nightly_hour_utc: int = Field(
        default=2, ge=0, le=23, description="hour (UTC) of the nightly full resync"
    )
    channels_timeout_s: float = Field(default=20, gt=0, description="timeout of one call to a channel")
    channels_batch_max: int = Field(
        default=50, ge=1, le=500, description="queued ranges sent in one request, at most"
    )
    channels_max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="a reservation document larger than this is refused"
    )
