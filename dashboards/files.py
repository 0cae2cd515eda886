"""Grafana file provisioning: data sources, a dashboard provider, and the dashboards' JSON,
for a Grafana that reads ``/etc/grafana/provisioning`` (the docker-compose deployment)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from dashboards.boards import all_dashboards
from dashboards.datasources import InfluxSource, PostgresSource

FOLDER_UID = "posada"


def write_provisioning(directory: Path, *, influx: InfluxSource,
                       postgres: PostgresSource | None = None,
                       dashboards_path: str = "/var/lib/grafana/dashboards/posada") -> list[Path]:
    """Write ``datasources/posada.yaml``, ``dashboards/posada.yaml`` and ``json/<uid>.json``.

    Pass secrets as ``${ENV_VAR}`` references: Grafana expands them when it reads the file.
    """
    written: list[Path] = []
    sources = [influx.body()] + ([postgres.body()] if postgres else [])
    written.append(_yaml(directory / "datasources" / "posada.yaml",
                         {"apiVersion": 1, "datasources": sources}))
    provider = {"name": "posada", "folder": "Posada", "folderUid": FOLDER_UID, "type": "file",
                "disableDeletion": False, "allowUiUpdates": False,
                "options": {"path": dashboards_path}}
    written.append(_yaml(directory / "dashboards" / "posada.yaml",
                         {"apiVersion": 1, "providers": [provider]}))
    for board in all_dashboards(influx.bucket):
        if postgres is None and board["uid"] == "posada-business":
            continue
        path = directory / "json" / f"{board['uid']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(board, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _yaml(path: Path, document: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path
