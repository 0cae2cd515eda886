"""What a fault row measured: events produced by the gateways, what the cloud stored of them,
and the taps the doors decided while the fault lasted."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine


def last_seq(database: Path) -> int:
    """The highest event sequence a gateway ever assigned (its outbox's AUTOINCREMENT)."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10) as db:
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'").fetchone()
    return int(row[0]) if row else 0


@dataclass(frozen=True)
class Stored:
    rows: int
    distinct: int


def stored(engine: Engine, *, site: str, floor: str, after: int, upto: int) -> Stored:
    """Rows the cloud holds for a floor's sequences in (after, upto]; a sequence twice is a duplicate."""
    query = text(
        "SELECT count(*), count(DISTINCT seq) FROM events "
        "WHERE site = :site AND floor = :floor AND seq > :after AND seq <= :upto"
    )
    with engine.connect() as conn:
        rows, distinct = conn.execute(
            query, {"site": site, "floor": floor, "after": after, "upto": upto}
        ).one()
    return Stored(int(rows), int(distinct))


def stamp_range(engine: Engine, *, site: str, floor: str, after: int) -> tuple[datetime, datetime] | None:
    """The earliest and latest ``ts`` of a floor's events after a sequence (what its clock said)."""
    query = text("SELECT min(ts), max(ts) FROM events WHERE site = :site AND floor = :floor AND seq > :after")
    with engine.connect() as conn:
        low, high = conn.execute(query, {"site": site, "floor": floor, "after": after}).one()
    return None if low is None else (low, high)


@dataclass(frozen=True)
class Taps:
    decided: int
    failed: int
    p99_ms: float


def taps_between(files: list[Path], *, start: float, end: float) -> Taps:
    """Taps that began in [start, end] (monotonic) on any gateway: decided, failed, p99 of the decided."""
    latencies: list[float] = []
    failed = 0
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) != 3 or not start <= float(parts[0]) <= end:
                continue
            if parts[2] == "ok":
                latencies.append(float(parts[1]))
            else:
                failed += 1
    return Taps(len(latencies), failed, percentile(latencies, 99))


def unrecorded_between(files: list[Path], *, start: float, end: float) -> int:
    """Inputs whose event the gateway could not record, in [start, end]."""
    count = 0
    for path in files:
        if path.exists():
            count += sum(
                1 for line in path.read_text().splitlines() if start <= float(line.split()[0]) <= end
            )
    return count


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Row:
    fault: str
    produced: int
    stored: int
    duplicates: int
    lost: int
    recover_s: float | None
    taps: Taps
    unrecorded: int = 0  # inputs whose event was never written (counted in ``lost``)

    def cells(self) -> list[str]:
        recover = "not within the wait" if self.recover_s is None else f"{self.recover_s:.1f} s"
        failed = f" ({self.taps.failed} failed)" if self.taps.failed else ""
        p99 = "—" if math.isnan(self.taps.p99_ms) else f"{self.taps.p99_ms:.1f} ms"
        lost = f"{self.lost} ({self.unrecorded} never recorded)" if self.unrecorded else str(self.lost)
        return [
            self.fault,
            f"{self.produced:,}",
            f"{self.stored:,}",
            str(self.duplicates),
            lost,
            recover,
            f"{self.taps.decided:,}{failed}",
            p99,
        ]


HEADER = [
    "fault",
    "events produced",
    "stored",
    "duplicates",
    "lost",
    "time to recover",
    "taps decided during the fault",
    "tap p99",
]


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r.cells()) + " |" for r in rows]
    return "\n".join(lines)
