import re
from datetime import UTC, datetime

import pytest

from cloud.telemetry.points import all_points
from dashboards.boards import all_dashboards
from dashboards.kpis import KPIS
from mqtt.readings import READINGS
from tests.cloud.telemetry.factory import item

FIELD = re.compile(r'r\._measurement == "([a-z_]+)" and r\._field == "([a-z_]+)"')
VALUE = {"bool": True, "int": 3, "float": 1.5}


def written_by_ingest() -> set[tuple[str, str]]:
    """(measurement, field) pairs the ingest actually writes for every catalog reading."""
    at = datetime(2026, 11, 25, tzinfo=UTC)
    readings = {key: VALUE[spec.kind] for key, spec in READINGS.items()}
    points = all_points([item("101", at=at, readings=readings)])
    return {(p.measurement, field) for p in points for field in p.fields}


def flux_targets():
    for board in all_dashboards("telemetry"):
        for panel in board["panels"]:
            for target in panel["targets"]:
                if "query" in target:
                    yield board["uid"], panel["title"], target["query"]


def test_every_flux_panel_queries_a_measurement_and_field_the_ingest_writes():
    written = written_by_ingest()
    checked = 0
    for uid, title, query in flux_targets():
        pairs = FIELD.findall(query)
        assert pairs, f"{uid}/{title}: no measurement/field filter"
        for pair in pairs:
            assert pair in written, f"{uid}/{title} queries {pair}, which nothing writes"
            checked += 1
    assert checked >= len(READINGS)


def test_every_reading_in_the_catalog_has_a_panel():
    shown = {pair for _, _, q in flux_targets() for pair in FIELD.findall(q)}
    assert shown == written_by_ingest()


def test_query_against_a_name_the_ingest_does_not_write_would_be_caught():
    assert ("room", "co2_ppm") not in written_by_ingest()


def test_dashboards_have_unique_uids_and_panels_with_datasources():
    boards = all_dashboards("telemetry")
    assert len({b["uid"] for b in boards}) == len(boards) == 4
    for board in boards:
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] in ("posada-telemetry", "posada-business")
            assert panel["targets"], panel["title"]


def test_variables_cascade_site_floor_room_on_the_room_dashboard():
    room = next(b for b in all_dashboards("telemetry") if b["uid"] == "posada-room")
    names = [v["name"] for v in room["templating"]["list"]]
    assert names == ["site", "floor", "room"]
    assert "${site:regex}" in room["templating"]["list"][2]["query"]


def test_bucket_name_is_the_configured_one():
    for _, _, query in ((u, t, q) for u, t, q in flux_targets()):
        assert 'from(bucket: "telemetry")' in query
    other = all_dashboards("hotel-tm")
    assert all('"hotel-tm"' in t["query"] for b in other for p in b["panels"]
               for t in p["targets"] if "query" in t)


@pytest.mark.service
@pytest.mark.parametrize("kpi", KPIS, ids=lambda k: k.title)
def test_business_queries_run_on_the_migrated_postgresql_schema(kpi, pg_url):
    from sqlalchemy import text

    from cloud.core.db import make_engine
    from cloud.core.migrate import upgrade

    engine = make_engine(pg_url)
    upgrade(engine)
    sql = re.sub(r"\$__timeFilter\((\w+)\)", r"\1 BETWEEN now() - interval '30 days' AND now()",
                 kpi.sql)
    with engine.connect() as conn:
        conn.execute(text(sql)).fetchall()
    engine.dispose()
