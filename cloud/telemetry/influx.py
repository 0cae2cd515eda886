# mypy: disable-error-code="no-untyped-call"
"""The InfluxDB 2 adapter: one synchronous, batched write per ingest batch (influxdb-client).

Any server that speaks the InfluxDB 2 write API works (InfluxDB 2, VictoriaMetrics).
"""

from __future__ import annotations

from influxdb_client.client.influxdb_client import InfluxDBClient
from influxdb_client.client.write.point import Point
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.domain.write_precision import WritePrecision
from influxdb_client.rest import ApiException
from urllib3.exceptions import HTTPError

from cloud.telemetry.errors import TelemetryWriteError
from cloud.telemetry.line_protocol import encode
from cloud.telemetry.points import TelemetryPoint

PERMANENT_STATUS = frozenset({400, 401, 403, 404, 413, 422})


def to_point(point: TelemetryPoint) -> Point:
    """The library's own point for the same data (the line-protocol test compares them)."""
    record: Point = (Point(point.measurement).tag("site", point.site).tag("floor", point.floor)
              .tag("room", point.room).time(point.epoch_ms, WritePrecision.MS))
    for key, value in point.fields.items():
        record.field(key, value)
    return record


class InfluxSink:
    def __init__(self, *, url: str, org: str, bucket: str, token: str,
                 timeout_ms: int = 10_000) -> None:
        self._org, self._bucket = org, bucket
        self._client = InfluxDBClient(url=url, token=token, org=org, timeout=timeout_ms)
        self._api = self._client.write_api(write_options=SYNCHRONOUS)

    def write(self, points: list[TelemetryPoint]) -> int:
        if not points:
            return 0
        records = [encode(p) for p in points]
        try:  # one body: the client serializes a list record by record
            self._api.write(bucket=self._bucket, org=self._org, record="\n".join(records),
                            write_precision=WritePrecision.MS)  # type: ignore[arg-type]
        except ApiException as exc:
            permanent = exc.status in PERMANENT_STATUS
            raise TelemetryWriteError(f"InfluxDB refused the write: {exc.status} {exc.reason}",
                                      permanent=permanent) from exc
        except (HTTPError, OSError) as exc:
            raise TelemetryWriteError(f"InfluxDB unreachable: {exc}", permanent=False) from exc
        return len(records)

    def close(self) -> None:
        self._client.close()
