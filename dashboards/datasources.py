"""The data sources the dashboards read: InfluxDB 2 (Flux) for telemetry, PostgreSQL for the
business figures. Bodies as ``POST /api/datasources`` takes them."""

from __future__ import annotations

from dataclasses import dataclass

from dashboards.targets import INFLUX_TYPE, POSTGRES_TYPE

INFLUX_UID = "posada-telemetry"
POSTGRES_UID = "posada-business"


@dataclass(frozen=True, slots=True)
class InfluxSource:
    url: str
    org: str
    bucket: str
    token: str

    def body(self) -> dict[str, object]:
        return {"name": "Posada telemetry", "uid": INFLUX_UID, "type": INFLUX_TYPE,
                "access": "proxy", "url": self.url, "isDefault": True,
                "jsonData": {"version": "Flux", "organization": self.org,
                             "defaultBucket": self.bucket},
                "secureJsonData": {"token": self.token}}


@dataclass(frozen=True, slots=True)
class PostgresSource:
    host: str  # host:port
    database: str
    user: str
    password: str
    sslmode: str = "require"

    def body(self) -> dict[str, object]:
        return {"name": "Posada business", "uid": POSTGRES_UID, "type": POSTGRES_TYPE,
                "access": "proxy", "url": self.host, "user": self.user,
                "jsonData": {"database": self.database, "sslmode": self.sslmode,
                             "postgresVersion": 1500, "timescaledb": False},
                "secureJsonData": {"password": self.password}}
