"""Bad documents are refused whole, every problem listed with its path, and nothing is applied."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import AuditEntry
from cloud.catalog.models import Property, RatePrice
from cloud.setup import service
from cloud.setup.errors import SetupInvalid
from cloud.setup.parsing import from_data, parse
from tests.cloud.setup.conftest import NOW, SITE, apply_data, hotel_data


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """Checks of the document need no second database."""
    return sqlite_url


def _problems(sessions: sessionmaker[Session], data: Any) -> dict[str, str]:
    with sessions.begin() as s, pytest.raises(SetupInvalid) as refused:
        apply_data(s, data)
    return {p.path: p.message for p in refused.value.problems}


def _many_wrongs() -> dict[str, Any]:
    data = hotel_data()
    data["property"]["currency"] = "EUX"
    data["property"]["time_zone"] = "Mars/Olympus_Mons"
    data["rooms"][12]["floor"] = "f9"
    data["rooms"][5]["number"] = data["rooms"][4]["number"]
    data["prices"][0]["amount_minor"] = -100
    overlap = {**data["prices"][4], "from": "2027-08-01", "until": "2027-08-10", "amount_minor": 1}
    data["prices"].append(overlap)
    data["service_items"][0]["price_minor"] = -1
    data["out_of_order"].append({"room": "999", "from": "2027-05-01", "until": "2027-05-02"})
    data["areas"][0]["floor"] = "p7"
    return data


def test_every_problem_is_listed_with_its_path_and_nothing_is_created(
    sessions: sessionmaker[Session],
) -> None:
    found = _problems(sessions, _many_wrongs())
    assert "is not an ISO 4217 currency code" in found["property.currency"]
    assert "is not an IANA time zone" in found["property.time_zone"]
    assert found["rooms[12].floor"] == "no floor 'f9'"
    assert "duplicate room number 105" in found["rooms[5]"]
    assert "must not be negative" in found["prices[0].amount_minor"]
    assert "overlaps prices[4] on the night of 2027-08-01" in found["prices[36]"]
    assert "must not be negative" in found["service_items[0].price_minor"]
    assert found["out_of_order[1].room"] == "no room '999'"
    assert "lift floor" in found["areas[0].floor"]
    assert len(found) == 9
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Property)) == 0
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_bad_change_to_a_live_property_leaves_it_as_it_was(hotel: sessionmaker[Session]) -> None:
    with hotel() as s:
        before = service.export(s, SITE, now=NOW)
    data = hotel_data()
    data["prices"][0]["amount_minor"] = 1  # fine on its own ...
    data["rooms"][0]["type"] = "penthouse"  # ... but this is not
    assert _problems(hotel, data) == {"rooms[0].type": "no room type 'penthouse'"}
    with hotel() as s:
        assert service.export(s, SITE, now=NOW) == before


def test_overlapping_seasons_with_the_same_price_and_layered_rules_are_accepted(
    sessions: sessionmaker[Session],
) -> None:
    data = hotel_data()
    same = {**data["prices"][1], "from": "2027-08-01", "until": "2027-08-10"}  # same amount as prices[1]
    weekend = {**data["prices"][1], "weekdays": ["fri", "sat"], "amount_minor": 99999}  # a weekday layer
    data["prices"] += [same, weekend]
    with sessions.begin() as s:
        apply_data(s, data)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RatePrice)) == 38


def test_shape_errors_are_listed_together(sessions: sessionmaker[Session]) -> None:
    data = hotel_data()
    data["property"]["number"] = "seven"
    data["rooms"][3]["colour"] = "blue"
    data["floors"][0]["id"] = "Piso Uno"
    del data["room_types"][0]["max_guests"]
    found = _problems(sessions, data)
    assert set(found) == {"property.number", "rooms[3].colour", "floors[0].id", "room_types[0].max_guests"}


def test_a_file_that_is_not_utf8_is_refused() -> None:
    text = "property:\n  site: casa-azul\n  name: Hotel Peñón\n"
    with pytest.raises(SetupInvalid) as refused:
        parse(text.encode("latin-1"))
    assert "not UTF-8" in str(refused.value.problems[0])


def test_yaml_times_and_words_keep_their_meaning() -> None:
    data = hotel_data()
    raw = (
        "property: {site: x, number: 2, name: X, chain: c, time_zone: UTC, currency: USD, "
        "checkout_at: 11:30, check_in_from: 15:00}\n"
        "floors: [{id: f1, level: 1}]\n"
        "room_types: [{code: std, name: {en: S}, max_guests: 2}]\n"
        "rooms: [{id: '1', number: 1, floor: f1, type: std, view: no}]\n"
    )
    doc = parse(raw.encode())
    assert str(doc.property.checkout_at) == "11:30:00" and doc.rooms[0].view == "no"
    assert data["property"]["site"] == SITE


def test_a_document_as_data_is_strict_about_types() -> None:
    data = copy.deepcopy(hotel_data())
    data["rooms"][0]["accessible"] = "yes"
    with pytest.raises(SetupInvalid) as refused:
        from_data(data)
    assert [p.path for p in refused.value.problems] == ["rooms[0].accessible"]
