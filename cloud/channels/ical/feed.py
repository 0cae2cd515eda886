"""Reading a channel's iCalendar feed (RFC 5545, through ``icalendar``) into holds by UID.

A hold is nights [arrival, departure): an all-day DTEND is exclusive, so it is the departure;
a timed event's days are taken in the feed's X-WR-TIMEZONE (or the property's zone) for
floating times. Any malformed line or event refuses the whole feed, naming the line, so the
caller keeps its last good state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

CONTENT_LINE = re.compile(r"^[A-Za-z0-9-]+(;[^:]*)?:.*$")
MAX_EVENTS = 5000


class FeedError(ValueError):
    """The feed cannot be used; the message names the line (1-based) that broke it."""


@dataclass(frozen=True)
class Hold:
    uid: str
    arrival: date
    departure: date
    summary: str


def read(data: bytes, *, default_zone: str) -> dict[str, Hold]:
    """Every confirmed event of the feed by UID (cancelled events are left out)."""
    try:
        text = data.decode("utf-8-sig")  # some exporters start with a byte-order mark
    except UnicodeDecodeError as exc:
        raise FeedError(f"the feed is not UTF-8 (byte {exc.start})") from exc
    lines = _check_lines(text)
    try:
        calendar = icalendar.Calendar.from_ical(text)
    except ValueError as exc:
        raise FeedError(f"not an iCalendar document: {str(exc)[:200]}") from exc
    _check_errors(calendar, lines)
    zone = _zone(str(calendar.get("X-WR-TIMEZONE", "")) or default_zone, lines)
    starts = [n for n, line in lines if line.upper() == "BEGIN:VEVENT"]
    holds: dict[str, Hold] = {}
    events = list(calendar.walk("VEVENT"))
    if len(events) > MAX_EVENTS:
        raise FeedError(f"more than {MAX_EVENTS} events")
    for index, event in enumerate(events):
        hold = _hold(event, zone, line=starts[index] if index < len(starts) else 0)
        if hold is None:
            continue
        if hold.uid in holds and holds[hold.uid] != hold:  # one UID for several blocks (seen in
            n = 2  # exports that split a block): each is held, under a stable key of its own
            while f"{hold.uid}#{n}" in holds:
                n += 1
            hold = Hold(
                uid=f"{hold.uid}#{n}", arrival=hold.arrival, departure=hold.departure, summary=hold.summary
            )
        holds[hold.uid] = hold
    return holds


def _check_lines(text: str) -> list[tuple[int, str]]:
    """Unfolded content lines with the number of their first physical line; a bad one refuses."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if raw[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + raw[1:])
        elif raw.strip():
            out.append((number, raw))
    for number, line in out:
        if not CONTENT_LINE.match(line):
            raise FeedError(f"line {number} is not a content line: {line[:120]!r}")
    if not out or out[0][1].upper() != "BEGIN:VCALENDAR":
        raise FeedError("line 1: a feed begins with BEGIN:VCALENDAR")
    return out


def _check_errors(calendar: icalendar.Calendar, lines: list[tuple[int, str]]) -> None:
    for component in calendar.walk():
        for name, message in getattr(component, "errors", []):
            number, line = _line_of(lines, name)
            raise FeedError(f"line {number}: {message} ({line[:120]!r})")


def _line_of(lines: list[tuple[int, str]], name: str | None) -> tuple[int, str]:
    for number, line in lines:
        if name and re.match(rf"^{re.escape(name)}[;:]", line, re.IGNORECASE):
            return number, line
    return 0, ""


def _zone(name: str, lines: list[tuple[int, str]]) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        number, _ = _line_of(lines, "X-WR-TIMEZONE")
        raise FeedError(f"line {number}: unknown time zone {name!r}") from exc


def _hold(event: icalendar.cal.Component, zone: ZoneInfo, *, line: int) -> Hold | None:
    uid = str(event.get("UID", "")).strip()
    if not uid:
        raise FeedError(f"line {line}: an event without UID")
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
        return None  # time marked free (an "available" event), not a block
    start = event.get("DTSTART")
    if start is None:
        raise FeedError(f"line {line}: event {uid} has no DTSTART")
    first = _day(start.dt, zone)
    end = event.get("DTEND")
    if end is not None:
        last = _day(end.dt, zone)
    elif event.get("DURATION") is not None:
        last = _day(start.dt + event.get("DURATION").dt, zone)
    else:
        last = first + timedelta(days=1)  # an all-day DTSTART alone is one day (RFC 5545 3.6.1)
    if last < first:
        raise FeedError(f"line {line}: event {uid} ends before it starts")
    if last == first:
        last = first + timedelta(days=1)  # a timed event within one day holds that night
    return Hold(uid=uid[:255], arrival=first, departure=last, summary=str(event.get("SUMMARY", ""))[:200])


def _day(value: date | datetime, zone: ZoneInfo) -> date:
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
        return aware.astimezone(zone).date()
    return value
