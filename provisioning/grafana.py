"""Push the dashboards and their data sources to a Grafana through its HTTP API
(grafana-client). Idempotent: a folder or data source that exists is kept or updated, and
dashboards are saved with ``overwrite``."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grafana_client.api import GrafanaApi
from grafana_client.client import GrafanaClientError, GrafanaException

from cloud.telemetry.settings import GrafanaSettings
from dashboards.boards import all_dashboards
from dashboards.datasources import InfluxSource, PostgresSource

log = logging.getLogger(__name__)
FOLDER_UID = "posada"
FOLDER_TITLE = "Posada"


class GrafanaProvisioningError(RuntimeError):
    """Grafana refused or could not be reached; the message says which call."""


@dataclass
class ProvisioningReport:
    folder_created: bool = False
    datasources_created: list[str] = field(default_factory=list)
    datasources_updated: list[str] = field(default_factory=list)
    dashboards: list[str] = field(default_factory=list)


class GrafanaProvisioner:
    def __init__(self, *, url: str, token: str, timeout_s: float = 10.0) -> None:
        self._api = GrafanaApi.from_url(url, credential=token, timeout=timeout_s)

    def push(self, *, influx: InfluxSource, postgres: PostgresSource | None = None,
             folder_uid: str = FOLDER_UID) -> ProvisioningReport:
        report = ProvisioningReport()
        report.folder_created = self._call("folder", self._ensure_folder, folder_uid)
        sources = [influx.body()] + ([postgres.body()] if postgres else [])
        for body in sources:
            created = self._call(f"data source {body['uid']}", self._upsert_datasource, body)
            (report.datasources_created if created else report.datasources_updated).append(
                str(body["uid"]))
        boards = all_dashboards(influx.bucket)
        if postgres is None:
            boards = [b for b in boards if b["uid"] != "posada-business"]
        for board in boards:
            self._call(f"dashboard {board['uid']}", self._save_dashboard, board, folder_uid)
            report.dashboards.append(str(board["uid"]))
        return report

    def _ensure_folder(self, uid: str) -> bool:
        try:
            self._api.folder.get_folder(uid)
            return False
        except GrafanaClientError as exc:
            if exc.status_code != 404:
                raise
        self._api.folder.create_folder(FOLDER_TITLE, uid=uid)
        return True

    def _upsert_datasource(self, body: dict[str, Any]) -> bool:
        try:
            self._api.datasource.get_datasource_by_uid(body["uid"])
        except GrafanaClientError as exc:
            if exc.status_code != 404:
                raise
            self._api.datasource.create_datasource(body)
            return True
        self._api.datasource.update_datasource_by_uid(body["uid"], body)
        return False

    def _save_dashboard(self, board: dict[str, Any], folder_uid: str) -> None:
        self._api.dashboard.update_dashboard(
            {"dashboard": board, "overwrite": True, "folderUid": folder_uid,
             "message": "provisioned by posada"})

    @staticmethod
    def _call(what: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except GrafanaException as exc:
            raise GrafanaProvisioningError(
                f"Grafana refused {what}: HTTP {exc.status_code}: {exc.message}") from exc
        except OSError as exc:
            raise GrafanaProvisioningError(f"Grafana unreachable while provisioning {what}: "
                                           f"{exc}") from exc


def postgres_source(grafana: GrafanaSettings) -> PostgresSource | None:
    if not grafana.grafana_pg_host:
        return None
    return PostgresSource(host=grafana.grafana_pg_host, database=grafana.grafana_pg_database,
                          user=grafana.grafana_pg_user, password=grafana.grafana_pg_password,
                          sslmode=grafana.grafana_pg_sslmode)


def provision_grafana(*, out: str | None = None) -> int:
    """``posada provision grafana [--out DIR]``: push through the API, or write files."""
    from cloud.settings import load
    from dashboards.files import write_provisioning

    settings = load()
    telemetry, grafana = settings.telemetry, settings.grafana
    if not telemetry.influx_url:
        raise SystemExit("POSADA_INFLUX_URL is required: the dashboards read InfluxDB")
    influx = InfluxSource(url=telemetry.influx_url, org=telemetry.influx_org,
                          bucket=telemetry.influx_bucket, token=telemetry.influx_token)
    if out is not None:
        influx = InfluxSource(url=influx.url, org=influx.org, bucket=influx.bucket,
                              token="${POSADA_INFLUX_TOKEN}")
        for path in write_provisioning(Path(out), influx=influx, postgres=postgres_source(grafana)):
            print(path)
        return 0
    if not grafana.grafana_token:
        raise SystemExit("POSADA_GRAFANA_TOKEN is required to use Grafana's HTTP API")
    report = GrafanaProvisioner(url=grafana.grafana_url, token=grafana.grafana_token).push(
        influx=influx, postgres=postgres_source(grafana))
    print(f"Grafana: dashboards {', '.join(report.dashboards)}; data sources created "
          f"{report.datasources_created or '-'}, updated {report.datasources_updated or '-'}")
    return 0
