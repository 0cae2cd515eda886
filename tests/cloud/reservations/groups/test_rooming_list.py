"""The rooming-list parser: precise errors by line, never a crash, valid lists read back whole."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.reservations.errors import RoomingListInvalid
from cloud.reservations.groups.rooming_list import BlockDates, parse

BLOCK = BlockDates(date(2027, 5, 10), date(2027, 5, 13), frozenset({"std", "sup"}))


def _errors(text: str) -> list[dict[str, object]]:
    with pytest.raises(RoomingListInvalid) as caught:
        parse(text, block=BLOCK)
    return list(caught.value.extra["errors"])


def test_valid_list_defaults_to_the_block_dates() -> None:
    rows = parse("guest_name,room_type,adults\nAna,std,2\nBo,sup,\n", block=BLOCK)
    assert [(r.line, r.guest_name, r.room_type, r.adults, r.arrival, r.departure) for r in rows] == [
        (2, "Ana", "std", 2, date(2027, 5, 10), date(2027, 5, 13)),
        (3, "Bo", "sup", 1, date(2027, 5, 10), date(2027, 5, 13)),
    ]


def test_every_bad_row_is_reported_by_line_and_field() -> None:
    text = (
        "guest_name,room_type,arrival,departure,adults,guest_email\n"
        "Ana,std,2027-05-10,2027-05-12,2,ana@example.com\n"
        ",std,,,1,\n"
        "Bo,ste,,,1,\n"
        "Cy,std,2027-05-09,,1,\n"
        "Di,std,,,zero,\n"
        "Ed,std,,,1,nope\n"
        "Fa,std\n"
    )
    found = {(e["line"], e["field"]) for e in _errors(text)}
    assert found == {
        (3, "guest_name"),
        (4, "room_type"),
        (5, "departure"),
        (6, "adults"),
        (7, "guest_email"),
        (8, None),
    }


def test_header_problems_reject_the_file() -> None:
    assert {(e["line"], e["field"]) for e in _errors("name,room_type\nAna,std\n")} == {
        (1, "guest_name"),
        (1, "name"),
    }
    assert _errors("guest_name,room_type\n")[0]["message"] == "the list has no guests"


@given(st.text(max_size=300))
def test_any_text_is_parsed_or_refused_with_line_numbers(text: str) -> None:
    try:
        rows = parse(text, block=BLOCK)
    except RoomingListInvalid as exc:
        assert exc.extra["errors"] and all(isinstance(e["line"], int) for e in exc.extra["errors"])
    else:
        assert rows and all(r.room_type in BLOCK.room_types for r in rows)


names = (
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


@given(
    st.lists(st.tuples(names, st.sampled_from(["std", "sup"]), st.integers(1, 4)), min_size=1, max_size=20)
)
def test_written_lists_read_back_identically(guests: list[tuple[str, str, int]]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["guest_name", "room_type", "adults"])
    writer.writerows(guests)
    rows = parse(out.getvalue(), block=BLOCK)
    assert [(r.guest_name, r.room_type, r.adults) for r in rows] == guests
