"""Telemetry, alert and Grafana settings."""

from __future__ import annotations

from pydantic import Field, model_validator

from cloud.core.config import AreaSettings
from cloud.telemetry.alerts.rules import Thresholds


class TelemetrySettings(AreaSettings):

    influx_url: str | None = Field(
        default=None, description="InfluxDB 2 URL (http://host:8086); unset: latest values only")
    influx_org: str = Field(default="posada", description="InfluxDB organisation")
    influx_bucket: str = Field(default="telemetry", description="InfluxDB bucket for telemetry")
    influx_token: str = Field(default="", description="InfluxDB API token (write access)")
    influx_timeout_ms: int = Field(default=10_000, ge=100, description="InfluxDB write timeout")
    telemetry_batch_max: int = Field(default=5000, ge=1, description="messages per write, at most")
    telemetry_batch_wait_ms: int = Field(default=200, ge=1, description="longest wait to fill one")
    telemetry_share_group: str = Field(default="telemetry", description="shared-subscription group")
    telemetry_keep_latest: bool = Field(
        default=True, description="keep latest values per room in the database (alerts use them)")
    alert_interval_s: float = Field(default=30.0, gt=0, description="alert evaluation period")
    alert_temperature_min_c: float = Field(default=16.0, description="room colder than this alerts")
    alert_temperature_max_c: float = Field(default=28.0, description="room warmer than this alerts")
    alert_humidity_min_pct: float = Field(default=25.0, description="air drier than this alerts")
    alert_humidity_max_pct: float = Field(default=65.0, description="air wetter than this alerts")
    alert_lock_battery_min_v: float = Field(
        default=2.5, gt=0, description="lock battery low below this voltage (set for the cells)")
    alert_door_ajar_s: float = Field(default=180.0, gt=0, description="door open longer alerts")
    alert_node_silent_s: float = Field(default=900.0, gt=0, description="door node silent after")
    alert_gateway_offline_s: float = Field(
        default=900.0, gt=0, description="gateway silent after (above the edge's max interval)")
    alert_outbox_depth: int = Field(default=100, ge=1, description="outbox depth worth a look")
    alert_outbox_growing_s: float = Field(default=600.0, gt=0, description="outbox rising for")

    @model_validator(mode="after")
    def _ranges(self) -> TelemetrySettings:
        if self.alert_temperature_min_c >= self.alert_temperature_max_c:
            raise ValueError("alert_temperature_min_c must be below alert_temperature_max_c")
        if self.alert_humidity_min_pct >= self.alert_humidity_max_pct:
            raise ValueError("alert_humidity_min_pct must be below alert_humidity_max_pct")
        return self

    def thresholds(self) -> Thresholds:
        return Thresholds(
            temperature_min_c=self.alert_temperature_min_c,
            temperature_max_c=self.alert_temperature_max_c,
            humidity_min_pct=self.alert_humidity_min_pct,
            humidity_max_pct=self.alert_humidity_max_pct,
            lock_battery_min_v=self.alert_lock_battery_min_v,
            door_ajar_s=self.alert_door_ajar_s,
            node_silent_s=self.alert_node_silent_s,
            gateway_offline_s=self.alert_gateway_offline_s,
            outbox_depth=self.alert_outbox_depth,
            outbox_growing_s=self.alert_outbox_growing_s,
        )


class GrafanaSettings(AreaSettings):
    """``POSADA_GRAFANA_*``: where Grafana is and how it reaches PostgreSQL."""

    grafana_url: str = Field(default="http://127.0.0.1:3000", description="Grafana base URL")
    grafana_token: str = Field(default="", description="Grafana service-account token")
    grafana_pg_host: str | None = Field(
        default=None, description="host:port of PostgreSQL as Grafana reaches it; unset: no "
                                  "business dashboard")
    grafana_pg_database: str = Field(default="posada", description="database for business KPIs")
    grafana_pg_user: str = Field(default="grafana", description="read-only PostgreSQL role")
    grafana_pg_password: str = Field(default="", description="that role's password")
    grafana_pg_sslmode: str = Field(default="require", description="PostgreSQL sslmode")
