"""The Grafana dashboards, as code: floor, room, gateway fleet, business figures."""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import dashboard as gdash
from grafana_foundation_sdk.builders import stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

from dashboards import kpis
from dashboards.datasources import INFLUX_UID, POSTGRES_UID
from dashboards.flux import reading_series, tag_values
from dashboards.targets import INFLUX_TYPE, POSTGRES_TYPE, Flux, Sql
from mqtt.readings import GATEWAY_MEASUREMENT, ROOM_MEASUREMENT, ReadingSpec, readings_of

INFLUX = DataSourceRef(type_val=INFLUX_TYPE, uid=INFLUX_UID)
POSTGRES = DataSourceRef(type_val=POSTGRES_TYPE, uid=POSTGRES_UID)
TAGS = ["posada"]


def _variable(tag: str, *, bucket: str, scope: tuple[str, ...]) -> gdash.QueryVariable:
    return (gdash.QueryVariable(tag).label(tag.capitalize()).datasource(INFLUX)
            .query(tag_values(tag, bucket=bucket, scope=scope)).multi(True).include_all(True)
            .refresh(VariableRefresh.ON_DASHBOARD_LOAD))


def _base(title: str, uid: str, *, bucket: str, scopes: tuple[str, ...]) -> gdash.Dashboard:
    board = (gdash.Dashboard(title).uid(uid).tags(TAGS).time("now-24h", "now").refresh("1m")
             .timezone("browser"))
    for i, tag in enumerate(scopes):
        board = board.with_variable(_variable(tag, bucket=bucket, scope=scopes[:i]))
    return board


def _series(spec: ReadingSpec, *, bucket: str, scope: tuple[str, ...]) -> timeseries.Panel:
    return (timeseries.Panel().title(spec.title).unit(spec.unit).datasource(INFLUX).span(12)
            .height(8).with_target(Flux(reading_series(spec, bucket=bucket, scope=scope),
                                        datasource_uid=INFLUX_UID)))


def _latest(spec: ReadingSpec, *, bucket: str, scope: tuple[str, ...]) -> stat.Panel:
    return (stat.Panel().title(f"{spec.title} now").unit(spec.unit).datasource(INFLUX).span(6)
            .height(5).with_target(Flux(reading_series(spec, bucket=bucket, scope=scope,
                                                       latest=True), datasource_uid=INFLUX_UID)))


def to_json(board: gdash.Dashboard) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(board.build(), cls=JSONEncoder))
    return data


def floor_dashboard(bucket: str) -> dict[str, Any]:
    scope = ("site", "floor")
    board = _base("Posada · Floor", "posada-floor", bucket=bucket, scopes=scope)
    for spec in readings_of(ROOM_MEASUREMENT):
        board = board.with_panel(_series(spec, bucket=bucket, scope=scope))
    return to_json(board)


def room_dashboard(bucket: str) -> dict[str, Any]:
    scope = ("site", "floor", "room")
    board = _base("Posada · Room", "posada-room", bucket=bucket, scopes=scope)
    for spec in readings_of(ROOM_MEASUREMENT):
        board = board.with_panel(_latest(spec, bucket=bucket, scope=scope))
    for spec in readings_of(ROOM_MEASUREMENT):
        board = board.with_panel(_series(spec, bucket=bucket, scope=scope))
    return to_json(board)


def fleet_dashboard(bucket: str) -> dict[str, Any]:
    scope = ("site", "floor")
    board = _base("Posada · Gateway fleet", "posada-fleet", bucket=bucket, scopes=("site",))
    for spec in readings_of(GATEWAY_MEASUREMENT):
        board = board.with_panel(_series(spec, bucket=bucket, scope=scope[:1]))
    return to_json(board)


def business_dashboard() -> dict[str, Any]:
    board = gdash.Dashboard("Posada · Business").uid("posada-business").tags(TAGS).time(
        "now-30d", "now").refresh("5m")
    for kpi in kpis.KPIS:
        panel = stat.Panel() if kpi.fmt == "table" else timeseries.Panel()
        board = board.with_panel(
            panel.title(kpi.title).unit(kpi.unit).datasource(POSTGRES)
            .span(6 if kpi.fmt == "table" else 12).height(6 if kpi.fmt == "table" else 8)
            .with_target(Sql(kpi.sql, datasource_uid=POSTGRES_UID, fmt=kpi.fmt)))
    return to_json(board)


def all_dashboards(bucket: str) -> list[dict[str, Any]]:
    return [floor_dashboard(bucket), room_dashboard(bucket), fleet_dashboard(bucket),
            business_dashboard()]
