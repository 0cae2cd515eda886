import pytest

from dashboards.datasources import InfluxSource, PostgresSource
from provisioning.grafana import GrafanaProvisioner, GrafanaProvisioningError
from tests.provisioning.grafana_server import FakeGrafana

INFLUX = InfluxSource(url="http://influx:8086", org="posada", bucket="telemetry", token="itok")
PG = PostgresSource(host="db:5432", database="posada", user="grafana", password="pgpw")


@pytest.fixture
def grafana():
    server = FakeGrafana(token="gtok").start()
    yield server
    server.stop()


def test_first_push_creates_folder_datasources_and_saves_every_dashboard(grafana):
    report = GrafanaProvisioner(url=grafana.url, token="gtok").push(influx=INFLUX, postgres=PG)
    assert report.folder_created
    assert report.datasources_created == ["posada-telemetry", "posada-business"]
    assert all(auth == "Bearer gtok" for *_, auth in grafana.calls)
    calls = [(m, p) for m, p, _, _ in grafana.calls]
    assert calls[:6] == [
        ("GET", "/api/folders/posada"), ("POST", "/api/folders"),
        ("GET", "/api/datasources/uid/posada-telemetry"), ("POST", "/api/datasources"),
        ("GET", "/api/datasources/uid/posada-business"), ("POST", "/api/datasources")]
    assert calls[6:] == [("POST", "/api/dashboards/db")] * 4
    folder_body = grafana.calls[1][2]
    assert folder_body == {"title": "Posada", "uid": "posada"}
    influx_body = grafana.calls[3][2]
    assert influx_body["type"] == "influxdb" and influx_body["jsonData"]["version"] == "Flux"
    assert influx_body["jsonData"]["organization"] == "posada"
    assert influx_body["secureJsonData"] == {"token": "itok"}
    for _, _, body, _ in grafana.calls[6:]:
        assert body["overwrite"] is True and body["folderUid"] == "posada"
        assert body["dashboard"]["panels"] and body["dashboard"]["title"].startswith("Posada")
    assert set(grafana.dashboards) == {"posada-floor", "posada-room", "posada-fleet",
                                       "posada-business"}


def test_second_push_updates_in_place(grafana):
    GrafanaProvisioner(url=grafana.url, token="gtok").push(influx=INFLUX, postgres=PG)
    grafana.calls.clear()
    report = GrafanaProvisioner(url=grafana.url, token="gtok").push(influx=INFLUX, postgres=PG)
    assert not report.folder_created and report.datasources_created == []
    assert report.datasources_updated == ["posada-telemetry", "posada-business"]
    assert ("PUT", "/api/datasources/uid/posada-telemetry") in [
        (m, p) for m, p, _, _ in grafana.calls]
    assert ("POST", "/api/folders") not in [(m, p) for m, p, _, _ in grafana.calls]


def test_without_postgres_the_business_dashboard_is_left_out(grafana):
    report = GrafanaProvisioner(url=grafana.url, token="gtok").push(influx=INFLUX)
    assert "posada-business" not in report.dashboards and len(report.dashboards) == 3


def test_a_wrong_token_is_a_clear_provisioning_error(grafana):
    with pytest.raises(GrafanaProvisioningError, match="folder: HTTP 401"):
        GrafanaProvisioner(url=grafana.url, token="wrong").push(influx=INFLUX)


def test_unreachable_grafana_is_a_clear_provisioning_error():
    from tests.support.ports import free_port

    with pytest.raises(GrafanaProvisioningError, match="folder"):
        GrafanaProvisioner(url=f"http://127.0.0.1:{free_port()}", token="t",
                           timeout_s=1).push(influx=INFLUX)
