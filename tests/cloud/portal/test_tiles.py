"""Board tiles are rendered once per row, language and zone, and again when the row changes."""

from __future__ import annotations

from collections import namedtuple
from datetime import UTC, datetime
from typing import Any

from cloud.portal.tiles import TileCache

Row = namedtuple("Row", "site floor room occupied last_access_at")
Gw = namedtuple("Gw", "site floor state version")
AT = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


def _render(r: Any, label: Any, clock: Any) -> str:
    return f"<li>{r.room} {label('occupied' if r.occupied else 'vacant')} {clock(r.last_access_at)}</li>"


def test_a_tile_is_rendered_once_until_its_row_changes() -> None:
    cache = TileCache(_render)
    rooms = [Row("hotel", "f1", "101", True, AT), Row("hotel", "f1", "102", False, None)]
    first = cache.floors([], rooms, lang="en", time_zone="Europe/Madrid")
    again = cache.floors([], rooms, lang="en", time_zone="Europe/Madrid")
    assert cache.rendered == 2 and first == again
    assert "10:30" in str(first[0].tiles)  # the reader's zone
    changed = cache.floors([], [rooms[0]._replace(occupied=False), rooms[1]], lang="en",
                           time_zone="Europe/Madrid")
    assert cache.rendered == 3 and "101 vacant" in str(changed[0].tiles)
    cache.floors([], rooms, lang="en", time_zone="UTC")
    assert cache.rendered == 5  # another zone is another tile


def test_floors_come_in_order_with_their_gateway_or_none() -> None:
    cache = TileCache(_render)
    floors = cache.floors([Gw("hotel", "f2", "online", "1"), Gw("hotel", "f3", "offline", "1")],
                          [Row("hotel", "f1", "101", True, None), Row("hotel", "f2", "201", False, None)],
                          lang="en", time_zone="UTC")
    assert [(f.floor, f.gateway.state if f.gateway else None) for f in floors] == [
        ("f1", None), ("f2", "online"), ("f3", "offline")]
    assert str(floors[2].tiles) == ""


def test_a_full_cache_is_emptied_and_refills() -> None:
    cache = TileCache(_render, max_tiles=2)
    rooms = [Row("hotel", "f1", str(n), True, None) for n in range(3)]
    assert len(cache.floors([], rooms, lang="en", time_zone="UTC")[0].tiles.split("<li>")) == 4
    assert cache.rendered == 3
