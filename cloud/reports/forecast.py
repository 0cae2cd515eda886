"""Forecasts, pure (docs/reports.md#forecast): additive pickup for the nights ahead, a plain
logistic regression for the risk that a reservation is cancelled, and a price suggestion per
night that is shown, never applied."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

HORIZON = 90


@dataclass(frozen=True, slots=True)
class NightRow:
    """One reservation night: how many days before the night it was booked and, if it was
    cancelled, how many days before (negative: after the night began, as a no-show)."""

    night: date
    booked_before: int
    cancelled_before: int | None
    amount: int


def held(row: NightRow, days_before: int) -> bool:
    """On the books ``days_before`` days before the night (0: the night itself)."""
    return row.booked_before >= days_before and (row.cancelled_before is None
                                                 or row.cancelled_before < days_before)


def mean_pickup(history: Sequence[NightRow], *, horizon: int = HORIZON) -> list[float]:
    """For each d in 0..horizon: the mean, over the nights of ``history``, of the rooms on the
    books at the night less those on the books d days before."""
    nights = {r.night for r in history}
    if not nights:
        return [0.0] * (horizon + 1)
    totals = [0] * (horizon + 1)
    for row in history:
        final = held(row, 0)
        for d in range(horizon + 1):
            totals[d] += int(final) - int(held(row, d))
    return [t / len(nights) for t in totals]


@dataclass(frozen=True, slots=True)
class NightForecast:
    night: date
    on_the_books: int
    rooms: float
    revenue: int  # minor units, at the quoted average rate of the night (or of the history)
    occupancy_pct: float


def additive_pickup(*, today: date, books: dict[date, tuple[int, int]], pickup: Sequence[float],
                    capacity: int, fallback_rate: int, horizon: int = HORIZON) -> list[NightForecast]:
    """Each night ahead: rooms on the books (and their quoted amount) plus the mean pickup for
    the days left, never above the rooms there are."""
    out = []
    for d in range(horizon):
        night = today + timedelta(days=d)
        rooms, amount = books.get(night, (0, 0))
        expected = min(float(capacity), rooms + pickup[min(d, len(pickup) - 1)])
        rate = amount / rooms if rooms else fallback_rate
        out.append(NightForecast(night, rooms, round(expected, 2), round(expected * rate),
                                 round(100 * expected / capacity, 2) if capacity else 0.0))
    return out


def forecast_error(forecasts: Sequence[NightForecast], actual: dict[date, int], *,
                   capacity: int) -> tuple[float, float]:
    """Mean absolute error in rooms, and in points of occupancy, against what happened."""
    if not forecasts or capacity <= 0:
        return 0.0, 0.0
    mae = sum(abs(f.rooms - actual.get(f.night, 0)) for f in forecasts) / len(forecasts)
    return round(mae, 2), round(100 * mae / capacity, 2)


@dataclass(frozen=True, slots=True)
class Suggestion:
    night: date
    change_pct: int
    reason: str


def price_suggestion(forecast: NightForecast) -> Suggestion:
    """A nudge from the forecast occupancy; shown to the manager, never applied."""
    occ = forecast.occupancy_pct
    if occ >= 90:
        return Suggestion(forecast.night, 10, "forecast above 90%")
    if occ >= 75:
        return Suggestion(forecast.night, 5, "forecast above 75%")
    if occ <= 30:
        return Suggestion(forecast.night, -10, "forecast below 30%")
    return Suggestion(forecast.night, 0, "hold")


# --- cancellation risk: logistic regression, fitted by Newton's method, written plainly ---

# lead time enters three ways: its log, a month-ahead step (revenue managers' usual bucket) and its
# log for a plan that cancels free (free cancellation matters the further ahead a stay is booked)
FEATURES = ("lead_time_log", "month_ahead", "flexible_lead_log", "nights", "non_refundable", "has_profile",
            "group", "weekend_arrival")


@dataclass(frozen=True, slots=True)
class Booked:
    lead_days: int
    nights: int
    non_refundable: bool
    has_profile: bool
    group: bool
    weekend_arrival: bool

    def vector(self) -> list[float]:
        lead = math.log1p(max(self.lead_days, 0))
        return [1.0, lead, float(self.lead_days > 30), 0.0 if self.non_refundable else lead,
                float(self.nights), float(self.non_refundable), float(self.has_profile), float(self.group),
                float(self.weekend_arrival)]


@dataclass(frozen=True, slots=True)
class RiskModel:
    weights: tuple[float, ...]

    def score(self, booked: Booked) -> float:
        return _sigmoid(sum(w * x for w, x in zip(self.weights, booked.vector(), strict=True)))

    def explain(self) -> dict[str, float]:
        return {name: round(w, 3) for name, w in zip(("intercept", *FEATURES), self.weights, strict=True)}


def fit(samples: Sequence[tuple[Booked, bool]], *, iterations: int = 12, ridge: float = 1e-3) -> RiskModel:
    """Maximum likelihood with a small ridge (so separable data still converges)."""
    size = len(FEATURES) + 1
    weights = [0.0] * size
    rows = [(b.vector(), 1.0 if cancelled else 0.0) for b, cancelled in samples]
    for _ in range(iterations):
        grad = [-ridge * w for w in weights]
        hess = [[ridge if i == j else 0.0 for j in range(size)] for i in range(size)]
        for x, y in rows:
            p = _sigmoid(sum(w * v for w, v in zip(weights, x, strict=True)))
            for i in range(size):
                grad[i] += (y - p) * x[i]
                for j in range(i, size):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        for i in range(size):
            for j in range(i):
                hess[i][j] = hess[j][i]
        weights = [w + s for w, s in zip(weights, _solve(hess, grad), strict=True)]
    return RiskModel(tuple(weights))


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-max(min(z, 30.0), -30.0)))


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the Hessian is small and positive definite)."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        if abs(m[col][col]) < 1e-12:
            continue
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= factor * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        if abs(m[r][r]) >= 1e-12:
            x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def precision_recall(model: RiskModel, held_out: Sequence[tuple[Booked, bool]], *,
                     threshold: float = 0.5) -> tuple[float | None, float | None]:
    flagged = [(model.score(b) >= threshold, c) for b, c in held_out]
    true_pos = sum(1 for f, c in flagged if f and c)
    predicted = sum(1 for f, _ in flagged if f)
    actual = sum(1 for _, c in flagged if c)
    return (true_pos / predicted if predicted else None, true_pos / actual if actual else None)
