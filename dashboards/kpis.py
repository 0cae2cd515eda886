"""Business figures over the cloud's PostgreSQL (Grafana macros: ``$__timeFilter``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kpi:
    title: str
    sql: str
    unit: str
    fmt: str  # "table" for a single figure, "time_series" for a chart


KPIS = (
    Kpi("Occupancy now",
        "SELECT 100.0 * count(*) FILTER (WHERE occupied) / NULLIF(count(*), 0) AS occupancy\n"
        "FROM room_status", "percent", "table"),
    Kpi("Gateways online",
        "SELECT count(*) FILTER (WHERE state = 'online') AS online FROM gateways",
        "short", "table"),
    Kpi("Open maintenance tasks",
        "SELECT count(*) AS open FROM maintenance_tasks WHERE status IN ('open', 'in_progress')",
        "short", "table"),
    Kpi("Mean time to clear an alert",
        "SELECT avg(extract(epoch FROM closed_at - opened_at)) AS seconds\n"
        "FROM telemetry_alerts WHERE closed_at IS NOT NULL AND $__timeFilter(opened_at)",
        "s", "table"),
    Kpi("Door access per hour",
        "SELECT date_trunc('hour', ts) AS time, type AS metric, count(*) AS value\n"
        "FROM events WHERE $__timeFilter(ts) AND type IN ('access.granted', 'access.denied')\n"
        "GROUP BY 1, 2 ORDER BY 1", "short", "time_series"),
    Kpi("Alerts opened per day",
        "SELECT date_trunc('day', opened_at) AS time, kind AS metric, count(*) AS value\n"
        "FROM telemetry_alerts WHERE $__timeFilter(opened_at)\n"
        "GROUP BY 1, 2 ORDER BY 1", "short", "time_series"),
)
