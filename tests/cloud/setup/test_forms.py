"""Form text to document data: any text gives data or named problems, never an exception; an
edited item's form gives back the same item."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.setup.calendar import month_start, shift, weeks
from cloud.setup.forms import SECTION_FIELDS, form_values, read_item
from cloud.setup.parsing import from_data

SECTIONS = sorted(SECTION_FIELDS)


@settings(max_examples=200, deadline=None)
@given(
    section=st.sampled_from(SECTIONS),
    texts=st.dictionaries(
        st.sampled_from([f"f_{f.name}" for fs in SECTION_FIELDS.values() for f in fs]), st.text(max_size=50)
    ),
)
def test_any_form_text_gives_data_or_named_problems(section: str, texts: dict[str, str]) -> None:
    item, problems = read_item(section, texts, {k: [v] for k, v in texts.items()}, currency="EUR")
    assert all(p.path.startswith(f"{section}.") and p.message for p in problems)
    names = {f.name for f in SECTION_FIELDS[section]}
    assert set(item) <= names


def test_an_edited_room_and_price_read_back_the_same() -> None:
    room = {
        "id": "201",
        "number": 201,
        "floor": "f2",
        "type": "dbl",
        "view": "sea",
        "accessible": True,
        "near_lift": False,
        "connects_to": "202",
        "retired_from": "2027-01-31",
    }
    values = form_values("rooms", room, currency="EUR")
    item, problems = read_item(
        "rooms",
        {k: str(v) if not isinstance(v, bool) else ("on" if v else "") for k, v in values.items()},
        {},
        currency="EUR",
    )
    assert problems == [] and item == room
    price = {
        "plan": "bar",
        "type": "dbl",
        "from": "2027-07-01",
        "until": "2027-09-01",
        "weekdays": ["fri", "sat"],
        "amount_minor": 12050,
        "min_stay": 2,
    }
    values = form_values("prices", price, currency="EUR")
    assert values["f_amount_minor"] == "120.50"
    first = {k: v for k, v in values.items() if not isinstance(v, list)}
    item, problems = read_item("prices", first, {"f_weekdays": values["f_weekdays"]}, currency="EUR")
    assert problems == [] and item == price


def test_amounts_with_more_decimals_than_the_currency_are_refused() -> None:
    _item, problems = read_item("service_items", {"f_price_minor": "2.505"}, {}, currency="EUR")
    assert [p.path for p in problems] == ["service_items.price_minor"]
    for huge in ("1e999999999", "9" * 40, "NaN", "Infinity"):
        _item, problems = read_item("service_items", {"f_price_minor": huge}, {}, currency="EUR")
        assert [p.path for p in problems] == ["service_items.price_minor"], huge
        _item, problems = read_item("rooms", {"f_number": huge}, {}, currency="EUR")
        assert [p.path for p in problems] == ["rooms.number"], huge
    item, problems = read_item("service_items", {"f_price_minor": "250"}, {}, currency="JPY")
    assert problems == [] and item["price_minor"] == 250


def test_the_calendar_picks_the_most_specific_price_and_shows_restrictions() -> None:
    doc = from_data(
        {
            "property": {
                "site": "h",
                "number": 1,
                "name": "H",
                "chain": "c",
                "time_zone": "UTC",
                "currency": "EUR",
            },
            "room_types": [{"code": "dbl", "name": {"en": "Double"}, "max_guests": 2}],
            "rate_plans": [{"code": "bar", "name": "Bar"}],
            "prices": [
                {"plan": "bar", "type": "dbl", "amount_minor": 8000},
                {"plan": "bar", "type": "dbl", "amount_minor": 9000, "weekdays": ["sat"]},
                {
                    "plan": "bar",
                    "type": "dbl",
                    "amount_minor": 12000,
                    "from": "2027-07-01",
                    "until": "2027-09-01",
                },
            ],
            "restrictions": [
                {"from": "2027-06-12", "until": "2027-06-13", "stop_sell": True},
                {"from": "2027-06-01", "until": "2027-07-01", "plan": "other", "min_stay": 4},
            ],
        }
    )
    grid = weeks(doc, plan="bar", month=date(2027, 6, 1))
    nights = {n.day: n for week in grid for n in week}
    assert grid[0][0].day == date(2027, 5, 31) and all(len(week) == 7 for week in grid)
    assert nights[date(2027, 6, 11)].prices == (("dbl", 8000),)
    assert nights[date(2027, 6, 12)].prices == (("dbl", 9000),)  # a Saturday
    assert nights[date(2027, 7, 3)].prices == (("dbl", 12000),)  # the season beats the weekday
    assert [r.stop_sell for r in nights[date(2027, 6, 12)].restrictions] == [True]
    assert nights[date(2027, 6, 13)].restrictions == ()  # the other plan's restriction is not shown
    assert month_start("2027-13", date(2027, 6, 9)) == date(2027, 6, 1) == shift(date(2027, 7, 1), -1)
