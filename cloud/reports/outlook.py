"""The forecast read from the books: nights ahead, its error on held-out history, the
cancellation risk of upcoming reservations, price suggestions (docs/reports.md#forecast)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from cloud.core.nights import local_instant
from cloud.reports import queries
from cloud.reports.availability import available
from cloud.reports.forecast import (
    HORIZON,
    Booked,
    NightForecast,
    NightRow,
    RiskModel,
    Suggestion,
    additive_pickup,
    fit,
    forecast_error,
    held,
    mean_pickup,
    precision_recall,
    price_suggestion,
)
from cloud.reports.service import load_properties

HISTORY = 365


@dataclass
class Outlook:
    site: str
    today: date
    nights: list[NightForecast]
    suggestions: list[Suggestion]
    backtest_mae_rooms: float
    backtest_mae_points: float
    risk: RiskModel | None
    risk_precision: float | None
    risk_recall: float | None
    risk_trained_on: int
    risk_held_out: int
    upcoming: list[tuple[str, float]]  # reservation id, probability of cancellation


def outlook(session: Session, *, site: str, now: datetime) -> Outlook:
    prop = load_properties(session, [site])[0]
    zone = ZoneInfo(prop.timezone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=HISTORY)
    rows = [_night_row(r, prop.timezone) for r in queries.night_history(
        session, prop.id, start=first - timedelta(days=HORIZON), end=today + timedelta(days=HORIZON))]
    counts = available(queries.rooms(session, [prop.id])[prop.id], [], start=today,
                       end=today + timedelta(days=1), setting=prop.out_of_order)
    capacity = sum(have for have, _ in counts.values())
    history = [r for r in rows if first <= r.night < today]
    rate = _average_rate(history)
    # held out: stand HORIZON days ago, learn from the nights before, forecast the nights since
    as_of = today - timedelta(days=HORIZON)
    past = [r for r in rows if as_of - timedelta(days=HISTORY) <= r.night < as_of]
    then = _books(rows, start=as_of, days_before=lambda night: (night - as_of).days)
    backtest = additive_pickup(today=as_of, books=then, pickup=mean_pickup(past), capacity=capacity,
                               fallback_rate=rate)
    actual = {night: n for night, (n, _) in _books(rows, start=as_of, days_before=lambda _: 0).items()}
    mae, points = forecast_error([f for f in backtest if f.night < today], actual, capacity=capacity)
    ahead = _books(rows, start=today, days_before=lambda night: (night - today).days)
    nights = additive_pickup(today=today, books=ahead, pickup=mean_pickup(history), capacity=capacity,
                             fallback_rate=rate)
    result = Outlook(prop.slug, today, nights, [price_suggestion(n) for n in nights], mae, points,
                     None, None, None, 0, 0, [])
    _risk(session, prop.id, today=today, zone=zone, result=result)
    return result


def _night_row(row: Any, zone: str) -> NightRow:
    night, created, cancelled, amount = row
    start = local_instant(night, time(0), zone)
    return NightRow(night, (start - created).days, None if cancelled is None else (start - cancelled).days,
                    int(amount))


def _books(rows: list[NightRow], *, start: date,
           days_before: Callable[[date], int]) -> dict[date, tuple[int, int]]:
    """Rooms and quoted amount per night from ``start`` on, as they stood ``days_before(night)``."""
    out: dict[date, tuple[int, int]] = {}
    for row in rows:
        if row.night >= start and held(row, days_before(row.night)):
            rooms, amount = out.get(row.night, (0, 0))
            out[row.night] = (rooms + 1, amount + row.amount)
    return out


def _average_rate(history: list[NightRow]) -> int:
    stayed = [r.amount for r in history if held(r, 0)]
    return round(sum(stayed) / len(stayed)) if stayed else 0


def _risk(session: Session, prop_id: int, *, today: date, zone: ZoneInfo, result: Outlook) -> None:
    """Learn from the reservations whose arrival has passed (the latest quarter by booking date
    held out), then score the upcoming ones."""
    rows = queries.booking_features(session, prop_id, start=today - timedelta(days=HISTORY),
                                    end=today + timedelta(days=HORIZON))
    done, upcoming = [], []
    for rid, created, arrival, departure, status, refundable, profile, group in rows:
        booked = Booked(lead_days=(arrival - created.astimezone(zone).date()).days,
                        nights=(departure - arrival).days, non_refundable=not refundable,
                        has_profile=bool(profile), group=bool(group),
                        weekend_arrival=arrival.weekday() in (4, 5))
        if arrival < today:
            done.append((created, booked, status == "cancelled"))
        elif status == "booked":
            upcoming.append((rid, booked))
    done.sort(key=lambda item: item[0])
    cut = len(done) * 3 // 4
    train, test = [(b, c) for _, b, c in done[:cut]], [(b, c) for _, b, c in done[cut:]]
    if len(train) < 20 or not any(c for _, c in train):
        return
    model = fit(train)
    result.risk, result.risk_trained_on, result.risk_held_out = model, len(train), len(test)
    result.risk_precision, result.risk_recall = precision_recall(model, test, threshold=0.3)
    result.upcoming = sorted(((rid, round(model.score(b), 3)) for rid, b in upcoming), key=lambda x: -x[1])
