"""Parsing a group's rooming list (CSV): every bad row reported by its line, or nothing at all (pure)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from cloud.reservations.errors import RoomingListInvalid

REQUIRED = ("guest_name", "room_type")
OPTIONAL = ("arrival", "departure", "adults", "children", "guest_email", "guest_phone", "notes")
MAX_ROWS = 2000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()-]{4,31}$")


@dataclass(frozen=True)
class RoomingRow:
    line: int
    guest_name: str
    room_type: str
    arrival: date
    departure: date
    adults: int = 1
    children: int = 0
    guest_email: str | None = None
    guest_phone: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class BlockDates:
    arrival: date
    departure: date
    room_types: frozenset[str]


def parse(text: str, *, block: BlockDates) -> list[RoomingRow]:
    """Rows of the list; RoomingListInvalid lists every problem as {line, field, message}."""
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    errors: list[dict[str, Any]] = []
    try:
        header = [h.strip() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise RoomingListInvalid("the file is not CSV", errors=[_err(1, None, str(exc))]) from exc
    errors += _check_header(header)
    if errors:
        raise RoomingListInvalid("the header is wrong; nothing was imported", errors=errors)
    rows: list[RoomingRow] = []
    try:
        for raw in reader:
            if reader.line_num > MAX_ROWS + 1:
                errors.append(_err(reader.line_num, None, f"more than {MAX_ROWS} rows"))
                break
            row, problems = _row(reader.line_num, {(k or "").strip(): v for k, v in raw.items()}, block)
            errors += problems
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        errors.append(_err(reader.line_num, None, f"broken CSV: {exc}"))
    if not rows and not errors:
        errors.append(_err(1, None, "the list has no guests"))
    if errors:
        raise RoomingListInvalid(f"{len(errors)} problem(s); nothing was imported", errors=errors)
    return rows


def _err(line: int, field: str | None, message: str) -> dict[str, Any]:
    return {"line": line, "field": field, "message": message}


def _check_header(header: list[str]) -> list[dict[str, Any]]:
    errors = [_err(1, name, "missing column") for name in REQUIRED if name not in header]
    errors += [_err(1, name, "unknown column") for name in header if name not in REQUIRED + OPTIONAL]
    if len(set(header)) != len(header):
        errors.append(_err(1, None, "a column appears twice"))
    return errors


def _row(line: int, raw: dict[str, Any], block: BlockDates) -> tuple[RoomingRow | None, list[dict[str, Any]]]:
    if None in raw.values() or raw.get(""):
        return None, [_err(line, None, "wrong number of fields")]
    cell = {k: (v or "").strip() for k, v in raw.items()}
    errors: list[dict[str, Any]] = []
    name = cell.get("guest_name", "")
    if not name or len(name) > 200:
        errors.append(_err(line, "guest_name", "a name of 1 to 200 characters is required"))
    if cell.get("room_type") not in block.room_types:
        errors.append(
            _err(line, "room_type", f"not a room type of the block: {cell.get('room_type', '')[:32]!r}")
        )
    arrival = _date(cell.get("arrival"), block.arrival, line, "arrival", errors)
    departure = _date(cell.get("departure"), block.departure, line, "departure", errors)
    if arrival and departure and not block.arrival <= arrival < departure <= block.departure:
        errors.append(_err(line, "departure", "the stay must fall within the block's dates"))
    adults = _int(cell.get("adults"), 1, (1, 20), line, "adults", errors)
    children = _int(cell.get("children"), 0, (0, 20), line, "children", errors)
    email, phone = cell.get("guest_email") or None, cell.get("guest_phone") or None
    if email and (len(email) > 254 or not EMAIL.match(email)):
        errors.append(_err(line, "guest_email", "not an email address"))
    if phone and not PHONE.match(phone):
        errors.append(_err(line, "guest_phone", "not a phone number"))
    if len(cell.get("notes", "")) > 2000:
        errors.append(_err(line, "notes", "longer than 2000 characters"))
    if errors or arrival is None or departure is None or adults is None or children is None:
        return None, errors
    return RoomingRow(
        line,
        name,
        cell["room_type"],
        arrival,
        departure,
        adults,
        children,
        email,
        phone,
        cell.get("notes", ""),
    ), []


def _date(
    value: str | None, default: date, line: int, field: str, errors: list[dict[str, Any]]
) -> date | None:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(_err(line, field, f"not a date (YYYY-MM-DD): {value[:32]!r}"))
        return None


def _int(
    value: str | None,
    default: int,
    bounds: tuple[int, int],
    line: int,
    field: str,
    errors: list[dict[str, Any]],
) -> int | None:
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or not bounds[0] <= int(value) <= bounds[1]:
        errors.append(_err(line, field, f"a whole number from {bounds[0]} to {bounds[1]} is required"))
        return None
    return int(value)
