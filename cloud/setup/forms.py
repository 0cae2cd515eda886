"""The set-up pages' forms: which fields each section's form has, and form text to a document item.

A form gives text only; this turns it into the plain data the document's models read (ints,
booleans, dates, lists, names per language, money in minor units), naming every field it cannot
read, so the page can list those problems beside the models' own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any, Literal

from cloud.core.money import Money, MoneyError
from cloud.i18n.labels import N_
from cloud.setup.document import WEEKDAYS
from cloud.setup.errors import Problem

Kind = Literal[
    "text", "int", "opt_int", "money", "bool", "choice", "opt_choice", "date", "opt_date", "time", "list",
    "langs", "weekdays", "opt_text",
]
LANGS = ("en", "es", "zh")
WHOLE = re.compile(r"-?[0-9]{1,9}")  # the models bound every number far below
AMOUNT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,4})?")  # no exponents: "1e999999999" would be a huge int
MAX_TEXT = 4000


@dataclass(frozen=True)
class Field:
    name: str  # the document's key ("from" for a season's start)
    label: str  # marked for translation
    kind: Kind = "text"
    choices: tuple[str, ...] = ()
    column: bool = True  # shown in the section's table
    hint: str = ""


def _f(
    name: str, label: str, kind: Kind = "text", *choices: str, column: bool = True, hint: str = ""
) -> Field:
    return Field(name, label, kind, tuple(choices), column, hint)


MEALS = ("none", "breakfast", "half_board", "full_board", "all_inclusive")
DEPOSITS = ("none", "first_night", "percent", "total")
AREA_KINDS = ("lift_floor", "pool", "gym", "spa", "parking", "entrance", "lounge", "business_centre")
CHARGE_KINDS = (
    "room_night", "minibar", "restaurant", "laundry", "spa", "transport", "late_checkout", "cancellation",
    "no_show",
)
SECTION_FIELDS: dict[str, tuple[Field, ...]] = {
    "property": (
        _f("name", N_("Name")),
        _f("legal_name", N_("Legal name"), "opt_text"),
        _f("address", N_("Address"), "opt_text"),
        _f("country", N_("Country (ISO 3166, two letters)"), "opt_text"),
        _f("tax_ids", N_("Tax ids"), "list", hint=N_("separated by commas")),
        _f("time_zone", N_("Time zone (IANA)")),
        _f("currency", N_("Currency (ISO 4217)")),
        _f("language", N_("Guests' language"), "choice", *LANGS),
        _f("check_in_from", N_("Check-in from"), "time"),
        _f("check_in_until", N_("Check-in until"), "time"),
        _f("checkout_at", N_("Checkout hour"), "time"),
        _f("latest_checkout_at", N_("Latest paid checkout"), "time"),
        _f("late_checkout_hourly_minor", N_("Late checkout price per hour"), "money"),
        _f("invoice_series", N_("Invoice series"), "opt_text"),
        _f("prices_include_tax", N_("Prices include tax"), "bool"),
    ),
    "floors": (
        _f("id", N_("Floor id")),
        _f("level", N_("Level"), "int"),
        _f("name", N_("Name"), "opt_text"),
    ),
    "room_types": (
        _f("code", N_("Code")),
        _f("name", N_("Name"), "langs"),
        _f("description", N_("Description"), "langs", column=False),
        _f("max_guests", N_("Guests at most"), "int"),
        _f("rank", N_("Rank (higher is better, for upgrades)"), "int"),
        _f("beds", N_("Beds"), "opt_text"),
        _f("features", N_("Features"), "list", hint=N_("separated by commas")),
        _f("photos", N_("Photos (https addresses)"), "list", column=False, hint=N_("separated by commas")),
    ),
    "rooms": (
        _f("id", N_("Room id")),
        _f("number", N_("Number"), "int"),
        _f("floor", N_("Floor"), "choice"),
        _f("type", N_("Room type"), "choice"),
        _f("view", N_("View"), "opt_text"),
        _f("accessible", N_("Accessible"), "bool"),
        _f("near_lift", N_("Near the lift"), "bool"),
        _f("connects_to", N_("Connects to room"), "opt_text"),
        _f("retired_from", N_("Retired from"), "opt_date"),
    ),
    "areas": (
        _f("code", N_("Code")),
        _f("kind", N_("Kind"), "choice", *AREA_KINDS),
        _f("name", N_("Name")),
        _f("floor", N_("Floor (lift floors only)"), "opt_choice"),
    ),
    "rate_plans": (
        _f("code", N_("Code")),
        _f("name", N_("Name")),
        _f("refundable", N_("Refundable"), "bool"),
        _f("free_cancel_hours", N_("Free cancellation until (hours before arrival)"), "int"),
        _f("cancel_fee_nights", N_("Cancellation fee (nights)"), "int"),
        _f("deposit", N_("Deposit"), "choice", *DEPOSITS),
        _f("deposit_percent", N_("Deposit percent"), "int"),
        _f("min_stay", N_("Minimum stay"), "int"),
        _f("meals", N_("Meals included"), "choice", *MEALS),
    ),
    "prices": (
        _f("plan", N_("Rate plan"), "choice"),
        _f("type", N_("Room type"), "choice"),
        _f("from", N_("From"), "opt_date"),
        _f("until", N_("Until (not included)"), "opt_date"),
        _f("weekdays", N_("Weekdays"), "weekdays"),
        _f("amount_minor", N_("Price per night"), "money"),
        _f("min_stay", N_("Minimum stay"), "opt_int"),
    ),
    "restrictions": (
        _f("from", N_("From"), "date"),
        _f("until", N_("Until (not included)"), "date"),
        _f("plan", N_("Rate plan"), "opt_choice"),
        _f("type", N_("Room type"), "opt_choice"),
        _f("min_stay", N_("Minimum stay"), "opt_int"),
        _f("max_stay", N_("Maximum stay"), "opt_int"),
        _f("closed_to_arrival", N_("Closed to arrival"), "bool"),
        _f("closed_to_departure", N_("Closed to departure"), "bool"),
        _f("stop_sell", N_("Stop sell"), "bool"),
    ),
    "tax_categories": (
        _f("code", N_("Code")),
        _f("name", N_("Name")),
        _f("charge_kinds", N_("Charges in this category"), "list", hint=", ".join(CHARGE_KINDS)),
    ),
    "taxes": (
        _f("code", N_("Code")),
        _f("name", N_("Name")),
        _f("percent", N_("Percent")),
        _f("categories", N_("Tax categories (empty: every one)"), "list", hint=N_("separated by commas")),
    ),
    "service_items": (
        _f("code", N_("Code")),
        _f("name", N_("Name"), "langs"),
        _f("price_minor", N_("Price"), "money"),
        _f("category", N_("Tax category"), "choice"),
        _f("charge_kind", N_("Kind of charge"), "choice", *CHARGE_KINDS),
    ),
    "out_of_order": (
        _f("room", N_("Room"), "choice"),
        _f("from", N_("From"), "date"),
        _f("until", N_("Until (not included)"), "date"),
        _f("note", N_("Note"), "opt_text"),
    ),
}


def read_item(
    section: str, form: Mapping[str, str], lists: Mapping[str, Sequence[str]], *, currency: str
) -> tuple[dict[str, Any], list[Problem]]:
    """The item a section's form describes (``f_<name>`` fields), and what could not be read."""
    item: dict[str, Any] = {}
    problems: list[Problem] = []
    for field in SECTION_FIELDS[section]:
        try:
            value = _value(field, form, lists, currency=currency)
        except ValueError as exc:
            problems.append(Problem(f"{section}.{field.name}", str(exc)))
            continue
        if value is not _ABSENT and value is not None:  # left out: the document's default
            item[field.name] = value
    return item, problems


class _Absent:
    pass


_ABSENT: Any = _Absent()


def _value(
    field: Field, form: Mapping[str, str], lists: Mapping[str, Sequence[str]], *, currency: str
) -> Any:
    key = f"f_{field.name}"
    text = form.get(key, "").strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"longer than {MAX_TEXT} characters")
    kind = field.kind
    if kind == "bool":
        return text in ("on", "true", "1")
    if kind == "langs":
        names = {lang: form.get(f"{key}_{lang}", "").strip() for lang in LANGS}
        return {lang: value for lang, value in names.items() if value}
    if kind == "weekdays":
        days = [d for d in lists.get(key, ()) if d]
        unknown = [d for d in days if d not in WEEKDAYS]
        if unknown:
            raise ValueError(f"not a weekday: {unknown[0][:10]!r}")
        return days or None
    if kind == "list":
        return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
    if not text:
        return _ABSENT if kind in ("text", "choice", "int", "money", "date", "time") else None
    if kind in ("int", "opt_int"):
        if not WHOLE.fullmatch(text):
            raise ValueError(f"not a whole number: {text[:20]!r}")
        return int(text)
    if kind == "money":
        if not AMOUNT.fullmatch(text):
            raise ValueError(f"not an amount in {currency}: {text[:20]!r}")
        try:
            return Money.parse(text, currency).minor
        except MoneyError as exc:
            raise ValueError(f"not an amount in {currency}: {exc}") from None
    if kind in ("date", "opt_date"):
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"not a date (YYYY-MM-DD): {text[:20]!r}") from None
    if kind == "time":
        try:
            return time.fromisoformat(text).isoformat()
        except ValueError:
            raise ValueError(f"not a time (HH:MM): {text[:20]!r}") from None
    return text


def form_values(section: str, item: Mapping[str, Any] | None, *, currency: str) -> dict[str, Any]:
    """The form's fields filled from an item (as the document has it), for an edit."""
    values: dict[str, Any] = {}
    if item is None:
        return values
    for field in SECTION_FIELDS[section]:
        value = item.get(field.name)
        key = f"f_{field.name}"
        if field.kind == "langs":
            for lang in LANGS:
                values[f"{key}_{lang}"] = (value or {}).get(lang, "")
        elif field.kind == "list":
            values[key] = ", ".join(value or ())
        elif field.kind == "weekdays":
            values[key] = list(value or ())
        elif field.kind == "money" and isinstance(value, int):
            values[key] = Money(value, currency).decimal_text()
        elif field.kind == "time" and isinstance(value, str):
            values[key] = value[:5]
        elif field.kind == "bool":
            values[key] = bool(value)
        else:
            values[key] = "" if value is None else str(value)
    return values


CHOICE_LABELS: dict[str, str] = {
    "none": N_("None"), "breakfast": N_("Breakfast"), "half_board": N_("Half board"),
    "full_board": N_("Full board"), "all_inclusive": N_("All inclusive"),
    "first_night": N_("First night"), "percent": N_("A percentage"), "total": N_("The whole stay"),
    "lift_floor": N_("Lift to a floor"), "pool": N_("Pool"), "gym": N_("Gym"), "spa": N_("Spa"),
    "parking": N_("Parking"), "entrance": N_("Entrance"), "lounge": N_("Lounge"),
    "business_centre": N_("Business centre"),
    "room_night": N_("Room night"), "minibar": N_("Minibar"), "restaurant": N_("Restaurant"),
    "laundry": N_("Laundry"), "transport": N_("Transport"), "late_checkout": N_("Late checkout"),
    "cancellation": N_("Cancellation fee"), "no_show": N_("No-show fee"),
    "en": "English", "es": "Español", "zh": "中文",
    "mon": N_("Mon"), "tue": N_("Tue"), "wed": N_("Wed"), "thu": N_("Thu"), "fri": N_("Fri"),
    "sat": N_("Sat"), "sun": N_("Sun"),
}


def choice_label(code: str) -> str:
    """The English label of a choice (translate it with ``_()``), or the code itself."""
    return CHOICE_LABELS.get(code, code)
