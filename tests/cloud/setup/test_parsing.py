"""Any bytes given as a document end in a document or a list of problems, never another error."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloud.setup.checks import check
from cloud.setup.errors import SetupInvalid
from cloud.setup.parsing import from_data, parse
from tests.cloud.setup.conftest import HOTEL_FILE, hotel_data

HOTEL = hotel_data()
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.text(max_size=12),
    st.lists(st.text(max_size=4), max_size=3),
)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_a_document_or_problems(raw: bytes) -> None:
    try:
        parse(raw)
    except SetupInvalid as exc:
        assert exc.problems


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.sampled_from(
        ["property", "floors", "room_types", "rooms", "prices", "restrictions", "taxes", "out_of_order"]
    ),
    st.integers(0, 30),
    st.text(min_size=1, max_size=20),
    VALUES,
)
def test_any_one_changed_field_is_a_document_or_problems_with_paths(
    section: str, index: int, key: str, value: Any
) -> None:
    data = copy.deepcopy(HOTEL)
    part = data[section] if section == "property" else data[section][index % len(data[section])]
    part[key] = value
    try:
        doc = from_data(data)
    except SetupInvalid as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    assert all(p.path for p in check(doc))


def test_json_and_yaml_read_the_same_document() -> None:
    assert parse(json.dumps(hotel_data()).encode()) == parse(HOTEL_FILE.read_bytes())
