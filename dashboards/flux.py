"""Flux query text for a catalog reading: the measurement and field come from
``mqtt.readings``, the same catalog the cloud's ingest writes by."""

from __future__ import annotations

from mqtt.readings import ReadingSpec

SCOPES = {
    "site": 'r.site =~ /^${site:regex}$/',
    "floor": 'r.floor =~ /^${floor:regex}$/',
    "room": 'r.room =~ /^${room:regex}$/',
}


def reading_series(spec: ReadingSpec, *, bucket: str, scope: tuple[str, ...],
                   latest: bool = False) -> str:
    """One series per room of a reading, windowed to the panel's resolution."""
    filters = " and ".join(SCOPES[s] for s in scope) or "true"
    fn = "last" if spec.kind == "bool" else "mean"
    tail = "|> last()" if latest else (
        f"|> aggregateWindow(every: v.windowPeriod, fn: {fn}, createEmpty: false)")
    lines = [
        f'from(bucket: "{bucket}")',
        "  |> range(start: v.timeRangeStart, stop: v.timeRangeStop)",
        f'  |> filter(fn: (r) => r._measurement == "{spec.measurement}" '
        f'and r._field == "{spec.key}")',
        f"  |> filter(fn: (r) => {filters})",
    ]
    if spec.kind == "bool":
        lines.append("  |> toInt()")
    lines += [f"  {tail}", '  |> keep(columns: ["_time", "_value", "site", "floor", "room"])']
    return "\n".join(lines)


def tag_values(tag: str, *, bucket: str, scope: tuple[str, ...] = ()) -> str:
    """A dashboard variable's values: the tag's values in the bucket, narrowed by scope."""
    base = f'import "influxdata/influxdb/schema"\nschema.tagValues(bucket: "{bucket}", tag: "{tag}"'
    if scope:
        predicate = " and ".join(SCOPES[s] for s in scope)
        return f"{base}, predicate: (r) => {predicate}, start: -30d)"
    return f"{base}, start: -30d)"
