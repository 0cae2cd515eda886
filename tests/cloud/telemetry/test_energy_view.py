"""Energy saved by setback in the maintenance view: per room and per floor, from the totals the
gateways report on ``room.setback``, in English, Spanish and Chinese; door faults by name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import get_args

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from cloud.board.models import EventRecord
from cloud.i18n.catalog import translations
from cloud.i18n.labels import FAULT_HINTS, LABELS
from cloud.telemetry.energy_view import floor_savings, room_saving
from mqtt.envelope import utcnow
from mqtt.messages import NodeFaultKind
from tests.cloud.auth.portal_app import PortalApp, fast_auth_env, portal_app
from tests.cloud.housekeeping import seed

NOW = utcnow()


def _event(
    session: Session,
    n: int,
    room: str,
    *,
    type: str = "room.setback",
    ago_h: float = 0,
    site: str = "hotel",
    floor: str = "f1",
    **data: object,
) -> None:
    session.add(
        EventRecord(
            id=f"ev-{n}",
            site=site,
            floor=floor,
            room=room,
            type=type,
            ts=NOW - timedelta(hours=ago_h),
            source=f"gw.{site}.{floor}",
            seq=n,
            data={"room": room, **data},
            received_at=NOW,
        )
    )


def _seed(session: Session) -> None:
    _event(session, 1, "101", ago_h=5, setback=True, setpoint_c=17.0, saved_kwh=1.0)
    _event(session, 2, "101", ago_h=3, setback=False, setpoint_c=21.0, saved_kwh=1.4)
    _event(session, 3, "102", ago_h=1, setback=True, setpoint_c=17.0, saved_kwh=0.25)
    _event(session, 4, "103", ago_h=1, setback=True, setpoint_c=17.0, saved_kwh=9.0, site="annex", floor="g")
    _event(session, 5, "101", type="node.fault", ago_h=2, door="101", node=3, fault="card_torn")


@pytest.fixture
def portal(monkeypatch: pytest.MonkeyPatch, sqlite_url: str) -> Iterator[PortalApp]:
    fast_auth_env(monkeypatch)
    with portal_app(sqlite_url) as app:
        with app.auth.sessionmaker.begin() as session:
            seed.rooms(session)
            _seed(session)
        yield app


def _client(portal: PortalApp, username: str, lang: str = "en") -> TestClient:
    client = portal.client()
    portal.sign_in(client, username)
    client.cookies.set("posada_lang", lang)
    return client


def test_a_room_shows_its_latest_total_and_a_floor_the_sum(portal: PortalApp) -> None:
    with portal.auth.sessionmaker() as session:
        floors = floor_savings(session, sites=["hotel"])
        assert [(f.site, f.floor, f.saved_kwh, f.set_back_now) for f in floors] == [("hotel", "f1", 1.65, 1)]
        assert [(r.room, r.saved_kwh, r.set_back) for r in floors[0].rooms] == [
            ("101", 1.4, False),
            ("102", 0.25, True),
        ]
        saving = room_saving(session, site="hotel", floor="f1", room="102")
        assert saving is not None and saving.setpoint_c == 17.0
        assert room_saving(session, site="hotel", floor="f1", room="104") is None
        assert floor_savings(session, sites=[]) == []


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ("Energy saved by setback", "1.65 kWh", "1 room set back now", "set back to 17.0 °C")),
        ("es", ("Energía ahorrada", "1,65 kWh", "1 habitación en reducción ahora", "17.0 °C")),
        ("zh-Hans", ("节能调温节省的能源", "1.65 kWh", "当前 1 间房", "17.0 °C")),
    ],
)
def test_the_maintenance_view_shows_the_saving_per_floor_and_room(
    portal: PortalApp, lang: str, words: tuple[str, ...]
) -> None:
    page = _client(portal, "maintenance-hotel", lang).get("/maintenance")
    assert page.status_code == 200
    for word in words:
        assert word in page.text, word
    assert 'id="energy-hotel-f1-101"' in page.text and "1.40 kWh" in page.text.replace(",", ".")
    assert "9.00 kWh" not in page.text.replace(",", ".")  # another property's floor


def test_a_room_page_shows_its_saving(portal: PortalApp) -> None:
    page = _client(portal, "maintenance-hotel").get("/maintenance/rooms/hotel/f1/101")
    assert page.status_code == 200 and "1.40 kWh saved (estimate)" in page.text


def test_every_door_fault_has_a_label_and_a_hint_in_every_language() -> None:
    for kind in get_args(NodeFaultKind):
        assert kind in LABELS and kind in FAULT_HINTS, kind
        for lang in ("es", "zh-Hans"):
            catalog = translations(lang)
            assert catalog.ugettext(LABELS[kind]) != LABELS[kind], (lang, kind)
            assert catalog.ugettext(FAULT_HINTS[kind]) != FAULT_HINTS[kind], (lang, kind)


@pytest.mark.parametrize(
    ("lang", "fault", "hint"),
    [
        ("en", "card pulled away mid-read", "The card left before it was read"),
        ("es", "tarjeta retirada durante la lectura", "La tarjeta se retiró antes de leerse"),
        ("zh-Hans", "读卡中途移开了卡", "卡在读完之前被移开"),
    ],
)
def test_the_room_page_names_a_door_fault_with_its_hint(
    portal: PortalApp, lang: str, fault: str, hint: str
) -> None:
    client = _client(portal, "front_desk-hotel", lang)
    page = client.get("/rooms/hotel/f1/101")
    assert page.status_code == 200 and fault in page.text and hint in page.text
    board = client.get("/")
    assert board.status_code == 200 and fault in board.text
