"""``posada events partitions``: make the current and next month's partitions of ``events`` for
every known property, and with ``--detach-before YYYY-MM`` detach the older months for retention
(PostgreSQL; the database of the cloud's settings). Detached partitions stay as tables of their
own, to archive (``pg_dump -t``) and drop."""

from __future__ import annotations

import sys
from typing import TextIO


def run(*, detach_before: str | None, database_url: str | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    from cloud.board.partitions import EventPartitions, parse_month
    from cloud.core.clock import utcnow
    from cloud.core.db import make_engine
    from cloud.settings import load

    try:
        before = parse_month(detach_before) if detach_before is not None else None
    except ValueError as exc:
        print(f"posada events partitions: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(database_url or load().database_url)
    try:
        parts = EventPartitions(engine)
        if not parts.partitioned():
            print("events is a plain table here (SQLite, or not migrated): nothing to do", file=out)
            return 0
        now = utcnow()
        print(f"{parts.ahead(now)} partitions made ahead", file=out)
        if before is not None:
            try:
                detached = parts.detach_before(before, now=now)
            except ValueError as exc:
                print(f"posada events partitions: {exc}", file=sys.stderr)
                return 2
            for item in detached:
                print(f"detached {item.table} ({item.site}, {item.month:%Y-%m})", file=out)
            print(f"{len(detached)} partitions detached", file=out)
    finally:
        engine.dispose()
    return 0
