"""What the desk sees of the node's sync, in the staff's language: offline since when and how
many changes wait, all synchronised, or how many conflicts need staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cloud.i18n.catalog import translations
from cloud.i18n.formatting import when


class BannerKind(StrEnum):
    OFFLINE = "offline"
    WAITING = "waiting"  # online, changes still on their way
    CONFLICTS = "conflicts"
    SYNCED = "synced"


@dataclass(frozen=True, slots=True)
class SyncState:
    online: bool
    offline_since: datetime | None
    waiting: int
    conflicts: int
    replica_as_of: datetime | None = None  # when the node last heard the cloud's bookings


@dataclass(frozen=True, slots=True)
class Banner:
    kind: BannerKind
    text: str


def banner(state: SyncState, *, tag: str, time_zone: str) -> Banner:
    """Offline first (staff must know their work is not in the cloud yet), then changes on
    their way, then conflicts, else all synchronised."""
    t = translations(tag)
    if not state.online:
        since = when(state.offline_since, tag=tag, time_zone=time_zone)
        text = t.ngettext(
            "Offline since %(since)s, %(count)d change waiting",
            "Offline since %(since)s, %(count)d changes waiting",
            state.waiting,
        )
        return Banner(BannerKind.OFFLINE, text % {"since": since, "count": state.waiting})
    if state.waiting:
        text = t.ngettext(
            "%(count)d change waiting to synchronise",
            "%(count)d changes waiting to synchronise",
            state.waiting,
        )
        return Banner(BannerKind.WAITING, text % {"count": state.waiting})
    if state.conflicts:
        text = t.ngettext("%(count)d conflict needs staff", "%(count)d conflicts need staff", state.conflicts)
        return Banner(BannerKind.CONFLICTS, text % {"count": state.conflicts})
    return Banner(BannerKind.SYNCED, t.gettext("All synchronised"))


def replica_note(state: SyncState, *, tag: str, time_zone: str) -> str:
    """How old the bookings the desk sees are: what the node knew when it last heard the
    cloud (offline, anything sold since is not in it)."""
    t = translations(tag)
    if state.replica_as_of is None:
        return t.gettext("No bookings from the cloud yet")
    return t.gettext("Bookings as of %(when)s") % {
        "when": when(state.replica_as_of, tag=tag, time_zone=time_zone)
    }
