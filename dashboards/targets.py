"""Typed queries for the two data sources the dashboards use, as grafana-foundation-sdk
dataquery variants (the SDK ships none for InfluxDB Flux or PostgreSQL)."""

from __future__ import annotations

from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants

INFLUX_TYPE = "influxdb"
POSTGRES_TYPE = "grafana-postgresql-datasource"


class FluxQuery(cogvariants.Dataquery):
    def __init__(self, *, ref_id: str, query: str, datasource_uid: str) -> None:
        self.ref_id, self.query, self.datasource_uid = ref_id, query, datasource_uid

    def to_json(self) -> dict[str, object]:
        return {"refId": self.ref_id, "query": self.query,
                "datasource": {"type": INFLUX_TYPE, "uid": self.datasource_uid}}


class SqlQuery(cogvariants.Dataquery):
    def __init__(self, *, ref_id: str, sql: str, datasource_uid: str,
                 fmt: str = "time_series") -> None:
        self.ref_id, self.sql, self.datasource_uid, self.fmt = ref_id, sql, datasource_uid, fmt

    def to_json(self) -> dict[str, object]:
        return {"refId": self.ref_id, "rawSql": self.sql, "rawQuery": True,
                "editorMode": "code", "format": self.fmt,
                "datasource": {"type": POSTGRES_TYPE, "uid": self.datasource_uid}}


class Flux(cogbuilder.Builder[cogvariants.Dataquery]):
    def __init__(self, query: str, *, datasource_uid: str, ref_id: str = "A") -> None:
        self._query = FluxQuery(ref_id=ref_id, query=query, datasource_uid=datasource_uid)

    def build(self) -> cogvariants.Dataquery:
        return self._query


class Sql(cogbuilder.Builder[cogvariants.Dataquery]):
    def __init__(self, sql: str, *, datasource_uid: str, ref_id: str = "A",
                 fmt: str = "time_series") -> None:
        self._query = SqlQuery(ref_id=ref_id, sql=sql, datasource_uid=datasource_uid, fmt=fmt)

    def build(self) -> cogvariants.Dataquery:
        return self._query
