"""The department board in the portal: in three languages, with moves as forms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.cloud.operations.conftest import NOW, book_and_check_in

# the package's one app and database: its modules run on one worker, in order (conftest.py)
pytestmark = pytest.mark.xdist_group("operations-app")

BASE = "/api/v1/properties/hotel"


@pytest.fixture(scope="module", autouse=True)
def _a_request(manager: TestClient) -> None:
    manager.post(
        f"{BASE}/service-types",
        json={
            "code": "taxi",
            "department": "transport",
            "promise_minutes": 15,
            "charge_kind": "transport",
            "names": {"en": "Taxi", "es": "Taxi al aeropuerto", "zh": "出租车"},
        },
    )
    assert manager.post(f"{BASE}/service-requests", json={"type": "taxi", "room": "201"}).status_code == 201


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["Service requests", "Taxi", "Accept"]),
        ("es", ["Solicitudes de servicio", "Taxi al aeropuerto", "Aceptar"]),
        ("zh-Hans", ["服务请求", "出租车", "接受"]),
    ],
)
def test_the_board_speaks_the_staff_language(manager: TestClient, lang: str, words: list[str]) -> None:
    r = manager.get(
        "/operations/requests", params={"department": "transport"}, headers={"Accept-Language": lang}
    )
    assert r.status_code == 200, r.text
    for word in words:
        assert word in r.text


def test_an_in_house_guest_asks_from_the_phone_page_and_sees_it(manager: TestClient) -> None:
    stay = book_and_check_in(manager, email=None, language="zh")
    ctx = manager.app.services.guestweb  # type: ignore[attr-defined]
    ref = ctx.signer.sign(purpose="stay", reservation_id=stay, expires_at=NOW + timedelta(days=3))
    page = manager.get(f"/guest/hotel/stay/{ref}/requests?lang=zh-Hans")
    assert page.status_code == 200 and "出租车" in page.text
    r = manager.post(
        f"/guest/hotel/stay/{ref}/requests?lang=zh-Hans", data={"type": "taxi"}, follow_redirects=True
    )
    assert r.status_code == 200 and 'data-state="new"' in r.text
    board = manager.get(f"{BASE}/service-requests", params={"department": "transport"}).json()
    assert any(b["reservation_id"] == stay and b["room"] for b in board)
    bad = manager.get("/guest/hotel/stay/forged/requests")
    assert bad.status_code == 422
