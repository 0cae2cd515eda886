import json

import yaml

from dashboards.datasources import InfluxSource, PostgresSource
from dashboards.files import write_provisioning

INFLUX = InfluxSource(url="http://influxdb:8086", org="posada", bucket="telemetry",
                      token="${POSADA_INFLUX_TOKEN}")
PG = PostgresSource(host="postgres:5432", database="posada", user="grafana",
                    password="${POSADA_GRAFANA_PG_PASSWORD}")


def test_provisioning_files_describe_sources_provider_and_every_dashboard(tmp_path):
    written = write_provisioning(tmp_path, influx=INFLUX, postgres=PG,
                                 dashboards_path="/var/lib/grafana/dashboards/posada")
    sources = yaml.safe_load((tmp_path / "datasources" / "posada.yaml").read_text())
    assert sources["apiVersion"] == 1
    assert [s["uid"] for s in sources["datasources"]] == ["posada-telemetry", "posada-business"]
    assert sources["datasources"][0]["secureJsonData"]["token"] == "${POSADA_INFLUX_TOKEN}"
    provider = yaml.safe_load((tmp_path / "dashboards" / "posada.yaml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards/posada"
    boards = sorted((tmp_path / "json").glob("*.json"))
    assert [b.stem for b in boards] == ["posada-business", "posada-fleet", "posada-floor",
                                        "posada-room"]
    for board in boards:
        assert json.loads(board.read_text())["panels"]
    assert len(written) == 6


def test_without_postgres_no_business_source_or_dashboard(tmp_path):
    write_provisioning(tmp_path, influx=INFLUX)
    sources = yaml.safe_load((tmp_path / "datasources" / "posada.yaml").read_text())
    assert [s["uid"] for s in sources["datasources"]] == ["posada-telemetry"]
    assert not (tmp_path / "json" / "posada-business.json").exists()
