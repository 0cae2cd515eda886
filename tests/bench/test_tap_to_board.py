"""From a tap at a door to the room's tile changing in Chromium, over the whole real system.

A guest booked and checked in through the portal holds the card the cloud signed; each tap is
given to the simulated door node (the firmware on a pty bus) of a real gateway process, which
decides, publishes the room's state to Mosquitto; the cloud (uvicorn, PostgreSQL) ingests and
commits it and streams it to the board page. Where each tap is seen, on one wall clock:

  tap          ``time.time()`` in this process as the card is put on the reader
  broker       a subscriber of this process gets the room's state from Mosquitto
  commit       PostgreSQL delivers a NOTIFY raised by the room's row (sent only at commit)
  stream       a server-sent-event reader of this process gets the board's room message
  browser      the page's EventSource delivers it (``performance.timeOrigin + performance.now()``)
  DOM          a MutationObserver on the tile's access line fires

Chromium's clock is the same system clock as Python's ``time.time()``; the offset between the
two bases is measured (bracketed by two Python readings) and printed.

Run: .venv/bin/python -m pytest -m bench -s -p no:xdist tests/bench/test_tap_to_board.py
(``POSADA_BENCH_TAPS``, default 60).
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import psycopg
import pytest
from playwright.sync_api import Page, sync_playwright

from mqtt.url import parse_mqtt_url
from tests.browser import front_desk as desk
from tests.browser.conftest import CHROMIUM
from tests.support.hotel import FLOOR, SITE, Hotel, running_hotel
from tests.support.ports import free_port

pytestmark = pytest.mark.bench
TAPS = int(os.environ.get("POSADA_BENCH_TAPS", "60"))
TAP_EVERY_S = 1.1  # the node takes the same card again after 0.7 s, the door relocks after 1 s

# Installed before the board's own script: timestamps every room message the page's
# EventSource delivers, and every change of one tile's access line.
RECORDER = """
window.__seen = {sse: [], dom: []};
const now = () => performance.timeOrigin + performance.now();
const Original = window.EventSource;
window.EventSource = function (url, options) {
  const source = new Original(url, options);
  source.addEventListener("room", (m) => {
    const r = JSON.parse(m.data);
    window.__seen.sse.push({t: now(), room: r.room, at: r.last_access_at});
  });
  return source;
};
window.EventSource.prototype = Original.prototype;
window.__watch = (selector) => {
  const target = document.querySelector(selector);
  new MutationObserver(() => window.__seen.dom.push({t: now(), text: target.textContent}))
    .observe(target, {childList: true, characterData: true, subtree: true});
};
"""


class BrokerWatch:
    """Room state messages as Mosquitto delivers them to a subscriber (wall-clock arrival)."""

    def __init__(self, hotel: Hotel, room: str) -> None:
        address = parse_mqtt_url(hotel.broker.cloud_url)
        self.seen: list[tuple[float, str | None]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-watch-{free_port()}")
        self.client.username_pw_set(address.username, address.password)
        self.client.on_message = self._message
        self.client.connect(address.host, address.port)
        self.client.subscribe(f"posada/v1/{SITE}/{FLOOR}/rooms/{room}/state", qos=1)
        self.client.loop_start()

    def _message(self, _client: Any, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        at = time.time()
        if message.retain:
            return  # the state held before we looked
        last = json.loads(message.payload)["data"].get("last_access") or {}
        self.seen.append((at, last.get("at")))

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class StreamWatch:
    """The board's server-sent events, read by this process (wall-clock arrival)."""

    def __init__(self, hotel: Hotel, cookies: dict[str, str], room: str) -> None:
        self.seen: list[tuple[float, str | None]] = []
        self._room, self._url, self._cookies = room, f"{hotel.url}/api/v1/board/stream", cookies
        self._open = threading.Event()
        threading.Thread(target=self._read, name="bench-sse", daemon=True).start()
        if not self._open.wait(10):
            raise AssertionError("the board stream did not open")

    def _read(self) -> None:
        try:
            with httpx.stream("GET", self._url, cookies=self._cookies,
                              timeout=httpx.Timeout(5, read=None)) as response:
                self._open.set()
                self._lines(response.iter_lines())
        except httpx.HTTPError:
            return  # the server stopped at the end of the run

    def _lines(self, lines: Iterator[str]) -> None:
        kind = ""
        for line in lines:
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind == "room":
                at = time.time()
                data = json.loads(line.removeprefix("data: "))
                if data["room"] == self._room:
                    self.seen.append((at, data.get("last_access_at")))


class CommitWatch:
    """Commits that touch the room's row in ``room_status``, as PostgreSQL delivers NOTIFY (only
    when the writing transaction commits). The trigger is the benchmark's own, never a migration."""

    TRIGGER = """
    CREATE FUNCTION bench_room_committed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_notify('bench_room', NEW.room || ' ' || coalesce(NEW.last_access_at::text, ''));
    RETURN NEW; END $$;
    CREATE TRIGGER bench_room_committed AFTER INSERT OR UPDATE ON room_status
    FOR EACH ROW EXECUTE FUNCTION bench_room_committed();
    """

    def __init__(self, hotel: Hotel, room: str) -> None:
        url = hotel.db_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self.seen: list[tuple[float, str | None]] = []
        self._room = room
        self._stop = threading.Event()
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(self.TRIGGER)
        self._conn = psycopg.connect(url, autocommit=True)
        self._conn.execute("LISTEN bench_room")
        self._thread = threading.Thread(target=self._listen, name="bench-commits", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        try:
            while not self._stop.is_set():
                for note in self._conn.notifies(timeout=0.5):
                    at = time.time()
                    room, _, access = note.payload.partition(" ")
                    if room == self._room:
                        self.seen.append((at, access or None))
        except psycopg.OperationalError:
            return  # the database went away at the end of the run

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._conn.close()


def _first_after(seen: list[tuple[float, str | None]], after: float, old: str | None) -> float | None:
    return next((t for t, access in seen if t > after and access != old), None)


def _clock_offset_ms(page: Page, tries: int = 20) -> tuple[float, float]:
    """Browser clock minus Python's and its uncertainty (half the tightest bracket of two Python
    readings around one browser reading); near zero when both read the system clock."""
    best: tuple[float, float] | None = None
    for _ in range(tries):
        before = time.time()
        browser = page.evaluate("performance.timeOrigin + performance.now()") / 1000
        after = time.time()
        sample = ((browser - (before + after) / 2) * 1000, (after - before) * 500)
        best = sample if best is None or sample[1] < best[1] else best
    assert best is not None
    return best


def _summary(name: str, values_ms: list[float]) -> str:
    ordered = sorted(v for v in values_ms if v == v)  # NaN: a commit the NOTIFY watcher missed
    if len(ordered) < len(values_ms):
        name = f"{name} [{len(values_ms) - len(ordered)} missed]"
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    return f"  {name:<34} p50 {statistics.median(ordered):7.1f}  p95 {p95:7.1f}  max {ordered[-1]:7.1f} ms"


@contextmanager
def _chromium() -> Iterator[Any]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"])
        try:
            yield browser
        finally:
            browser.close()


def test_tap_at_the_door_to_the_board_tile_in_chromium() -> None:
    with running_hotel() as hotel, _chromium() as browser:
        context = browser.new_context(locale="en-GB")
        page = context.new_page()
        desk.sign_in(page, hotel, "lucia")
        reservation = desk.book(page, hotel, guest="Ana García López", room_type="std")
        room = desk.check_in(page)
        card = desk.card_for(hotel, reservation, room)

        page.add_init_script(RECORDER)
        desk.open_board(page, hotel)
        page.evaluate(f"window.__watch({json.dumps(desk.tile(page, room) + ' .access')})")
        cookies = {c["name"]: c["value"] for c in context.cookies()}
        broker, stream = BrokerWatch(hotel, room), StreamWatch(hotel, cookies, room)
        commits = CommitWatch(hotel, room)
        try:
            offset, uncertainty = _clock_offset_ms(page)
            rows = _tap(page, hotel, room, card, Watchers(broker, commits, stream))
        finally:
            broker.close()
            commits.close()
        context.close()

    assert len(rows) == TAPS
    total = [r["dom"] - r["tap"] for r in rows]
    print(f"\n[tap → board tile] {TAPS} granted taps at room {room}, one every {TAP_EVERY_S} s; "
          f"browser clock - Python clock {offset:+.2f} ± {uncertainty:.2f} ms")
    print(_summary("tap → DOM (total)", total))
    print(_summary("tap → broker (gateway)", [r["broker"] - r["tap"] for r in rows]))
    print(_summary("broker → commit (cloud ingest)", [r["commit"] - r["broker"] for r in rows]))
    print(_summary("commit → page's EventSource", [r["sse"] - r["commit"] for r in rows]))
    print(_summary("EventSource → DOM mutation", [r["dom"] - r["sse"] for r in rows]))
    print(_summary("(commit → a Python SSE reader)", [r["stream"] - r["commit"] for r in rows]))
    slowest = max(rows, key=lambda r: r["dom"] - r["tap"])  # nan prints as nan
    print("  slowest tap: " + ", ".join(f"{name} +{slowest[name] - slowest['tap']:.1f}"
                                        for name in ("broker", "commit", "sse", "dom")) + " ms")
    assert statistics.median(total) < 2000, "gross regression"


@dataclass
class Watchers:
    broker: BrokerWatch
    commits: CommitWatch
    stream: StreamWatch


def _sightings(watch: Watchers, tap: float, old: str | None) -> tuple[float, float | None, float]:
    """When the broker, the database and the Python stream reader saw the tap (their threads may
    lag the page a little on a busy machine). The broker and the database write times their own
    way: theirs is the first sighting after the tap."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        at_broker = _first_after(watch.broker.seen, tap, None)
        at_commit = _first_after(watch.commits.seen, tap, None)
        at_stream = _first_after(watch.stream.seen, tap, old)
        if at_broker is not None and at_commit is not None and at_stream is not None:
            return at_broker, at_commit, at_stream
        time.sleep(0.02)
    if at_broker is not None and at_stream is not None:
        return at_broker, None, at_stream  # no NOTIFY seen for this commit: counted, left out of the split
    raise AssertionError(f"a watcher missed the tap: broker {at_broker}, commit {at_commit}, "
                         f"stream {at_stream}")


def _tap(page: Page, hotel: Hotel, room: str, card: bytes, watch: Watchers) -> list[dict[str, float]]:
    rows: list[dict[str, float]] = []
    old: str | None = None
    for _ in range(TAPS):
        started = time.monotonic()
        tap = hotel.tap(room, card)
        deadline = time.monotonic() + 10
        while True:
            seen = page.evaluate("window.__seen")
            sse = next((s for s in seen["sse"] if s["room"] == room and s["t"] / 1000 > tap
                        and s["at"] != old), None)
            dom = next((d["t"] for d in seen["dom"] if sse and d["t"] >= sse["t"]), None)
            if sse is not None and dom is not None:
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"tap {len(rows) + 1} did not reach the board\n"
                                     f"{hotel.log_tail('gateway.log')}")
            time.sleep(0.02)
        at_broker, at_commit, at_stream = _sightings(watch, tap, old)
        old = sse["at"]
        rows.append({"tap": tap * 1000, "broker": at_broker * 1000,
                     "commit": at_commit * 1000 if at_commit is not None else float("nan"),
                     "stream": at_stream * 1000, "sse": sse["t"], "dom": dom})
        time.sleep(max(0.0, TAP_EVERY_S - (time.monotonic() - started)))
    return rows
