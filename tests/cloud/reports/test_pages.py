"""The reports page: charts with their tables, links to the definitions, three languages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from cloud.auth.roles import Role
from cloud.reports.charts import Series, bar_chart, line_chart
from tests.cloud.reports.shared import Shared, _shared
from tests.cloud.reports.test_api import Clock, _book, _desk, _sessions

__all__ = ["_desk", "_sessions", "_shared"]  # the fixtures, shared with test_api


def test_a_chart_escapes_its_labels_and_draws_each_value() -> None:
    svg = line_chart(["<a>", "b"], [Series("x", [1.0, None])], title="T & <t>")
    assert "<a>" not in svg and "&lt;a&gt;" in svg and "T &amp; &lt;t&gt;" in svg
    bars = bar_chart(["1", "2"], [Series("a", [1, 2]), Series("b", [3, 0])], title="t", stacked=True)
    assert bars.count("<rect") == 3


@pytest.mark.parametrize(("lang", "heading", "adr"), [
    ("en", "Reports", "ADR (net)"),
    ("es", "Informes", "ADR (sin impuestos)"),
    ("zh-Hans", "报表", "平均房价"),  # the rest of the heading is in full-width brackets
])
def test_the_page_shows_charts_tables_and_definitions(desk: tuple[TestClient, Clock], lang: str, heading: str,
                                                      adr: str) -> None:
    client, _ = desk
    stay = _book(client, "2027-03-01", "2027-03-03")
    client.post(f"/api/v1/reservations/{stay}/check-in")
    r = client.get("/reports", params={"start": "2027-01-01", "end": "2028-01-01"},
                   headers={"Accept-Language": lang})
    assert r.status_code == 200, r.text
    page = r.text
    assert f"<h1>{heading}</h1>" in page and adr in page
    assert page.count("<svg") == 5 and page.count("<table") == 3
    for anchor in set(re.findall(r'href="/reports/definitions#([a-z-]+)"', page)):
        definitions = client.get("/reports/definitions", headers={"Accept-Language": lang}).text
        assert f'id="{anchor}"' in definitions
    assert "/api/v1/reports/kpis.csv?site=hotel" in page


@pytest.mark.parametrize("role", [Role.HOUSEKEEPING, Role.MAINTENANCE])
def test_no_report_page_for_housekeeping_or_maintenance(shared: Shared, role: Role) -> None:
    assert shared.clients[role].get("/reports").status_code == 403
