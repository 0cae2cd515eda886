"""Times in messages, in the property's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cloud.notify.settings import NotifySettings


def local_time(ts: datetime | None, site: str, notify: NotifySettings) -> str:
    """Hour and minute in the property's zone (UTC when none is configured)."""
    if ts is None:
        return ""
    zone = notify.site_timezones.get(site)
    aware = ts if ts.tzinfo else ts.replace(tzinfo=UTC)
    if zone is None:
        return aware.astimezone(UTC).strftime("%H:%M UTC")
    return aware.astimezone(ZoneInfo(zone)).strftime("%H:%M")
