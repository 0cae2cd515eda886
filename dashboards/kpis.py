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
    # The hotel's numbers (docs/reports.md): rooms sold are nights of stays checked in or out,
    # house use left out; out-of-order rooms stay in rooms available (the default setting).
    Kpi("Occupancy per night",
        "SELECT time, metric, value FROM (\n"
        "  SELECT n.night::timestamp AS time, p.slug AS metric,\n"
        "         100.0 * count(*) / NULLIF((SELECT count(*) FROM rooms m WHERE m.property_id = p.id\n"
        "           AND (m.retired_from IS NULL OR m.retired_from > n.night)), 0) AS value\n"
        "  FROM reservation_nights n JOIN reservations r ON r.id = n.reservation_id\n"
        "  JOIN properties p ON p.id = r.property_id\n"
        "  LEFT JOIN reports_rate_plans u ON u.rate_plan_id = r.rate_plan_id\n"
        "  WHERE r.status IN ('checked_in', 'checked_out') AND COALESCE(u.usage, 'sale') <> 'house_use'\n"
        "  GROUP BY n.night, p.id, p.slug) s\n"
        "WHERE $__timeFilter(time) ORDER BY 1", "percent", "time_series"),
    Kpi("ADR per night (net of taxes)",
        "SELECT time, metric, value FROM (\n"
        "  SELECT c.night::timestamp AS time, f.site AS metric,\n"
        "         sum(c.net_minor) / 100.0 / NULLIF((SELECT count(*) FROM reservation_nights n\n"
        "           JOIN reservations r ON r.id = n.reservation_id\n"
        "           LEFT JOIN reports_rate_plans u ON u.rate_plan_id = r.rate_plan_id\n"
        "           JOIN properties p ON p.id = r.property_id\n"
        "           WHERE n.night = c.night AND p.slug = f.site\n"
        "             AND r.status IN ('checked_in', 'checked_out')\n"
        "             AND COALESCE(u.usage, 'sale') <> 'house_use'), 0) AS value\n"
        "  FROM billing_charges c JOIN billing_folios f ON f.id = c.origin_folio_id\n"
        "  WHERE c.kind = 'room_night' AND f.reservation_id IS NOT NULL\n"
        "  GROUP BY c.night, f.site) s\n"
        "WHERE $__timeFilter(time) ORDER BY 1", "currencyEUR", "time_series"),
    Kpi("Revenue by department per day (net of taxes)",
        "SELECT time, metric, sum(value) AS value FROM (\n"
        "  SELECT CASE WHEN c.kind = 'room_night' THEN c.night::timestamp\n"
        "              ELSE date_trunc('day', c.posted_at) END AS time,\n"
        "         CASE WHEN c.kind = 'room_night' THEN 'rooms'\n"
        "              WHEN c.kind IN ('late_checkout', 'cancellation', 'no_show') THEN 'other rooms'\n"
        "              WHEN c.kind IN ('restaurant', 'minibar') THEN 'food and beverage'\n"
        "              WHEN c.kind IN ('laundry', 'spa', 'transport') THEN 'services'\n"
        "              ELSE 'other' END AS metric,\n"
        "         c.net_minor / 100.0 AS value\n"
        "  FROM billing_charges c) s\n"
        "WHERE $__timeFilter(time) GROUP BY 1, 2 ORDER BY 1", "currencyEUR", "time_series"),
    Kpi("Rooms picked up in the last 7 days, next 90 nights",
        "SELECT n.night::timestamp AS time, count(*) AS value\n"
        "FROM reservation_nights n JOIN reservations r ON r.id = n.reservation_id\n"
        "LEFT JOIN reports_rate_plans u ON u.rate_plan_id = r.rate_plan_id\n"
        "WHERE r.created_at > now() - interval '7 days' AND r.cancelled_at IS NULL\n"
        "  AND COALESCE(u.usage, 'sale') <> 'house_use'\n"
        "  AND n.night >= current_date AND n.night < current_date + 90\n"
        "GROUP BY 1 ORDER BY 1", "short", "time_series"),
)
