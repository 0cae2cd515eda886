"""The room board's floors with their room tiles rendered once and kept.

A tile's HTML depends only on its room's row, the reader's language and time zone, so it is
kept under exactly that key: a changed row is a new key (nothing to invalidate), and a board of
1,000 rooms renders only the tiles that changed since it was last shown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from cloud.i18n import formatting
from cloud.i18n.jinja import gettext
from cloud.i18n.labels import label

MAX_TILES = 50_000  # a full cache is emptied: it refills as the board is shown


@dataclass(frozen=True, slots=True)
class Floor:
    site: str
    floor: str
    gateway: Any  # a row with state and version, or None
    tiles: Markup


class TileCache:
    def __init__(self, render: Callable[..., str], *, max_tiles: int = MAX_TILES) -> None:
        self._render = render  # the tile template's render(r=..., label=..., clock=...)
        self._tiles: dict[tuple[Any, ...], str] = {}
        self._max = max_tiles
        self._lock = threading.Lock()
        self.rendered = 0  # tiles rendered since start (the rest came from the cache)

    def floors(self, gateways: Sequence[Any], rooms: Sequence[Any], *, lang: str,
               time_zone: str) -> list[Floor]:
        """The board's floors in (site, floor) order: every floor with a gateway or a room."""
        by_floor: dict[tuple[str, str], list[str]] = {(g.site, g.floor): [] for g in gateways}
        for row in rooms:
            tile = self.tile(row, lang=lang, time_zone=time_zone)
            by_floor.setdefault((row.site, row.floor), []).append(tile)
        gateway = {(g.site, g.floor): g for g in gateways}
        return [Floor(site, floor, gateway.get((site, floor)), Markup("".join(by_floor[(site, floor)])))
                for site, floor in sorted(by_floor)]

    def tile(self, row: Any, *, lang: str, time_zone: str) -> str:
        key = (lang, time_zone, *row)
        found = self._tiles.get(key)
        if found is not None:
            return found
        found = self._render(r=row, label=lambda code: gettext(label(code)), clock=_clock(lang, time_zone))
        with self._lock:
            if len(self._tiles) >= self._max:
                self._tiles.clear()
            self._tiles[key] = found
            self.rendered += 1
        return found


def _clock(lang: str, time_zone: str) -> Callable[[datetime | None], str]:
    def clock(value: datetime | None) -> str:
        return formatting.clock(value, tag=lang, time_zone=time_zone)

    return clock
