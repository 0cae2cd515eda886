"""The front desk's whole walk in Chromium against the real system: book, check in, the floor's
gateway takes the card, a tap at the room's door shows live on the board, check out, invoice.

One hotel (Mosquitto, the cloud on PostgreSQL, a gateway process with door nodes on a simulated
bus) serves the module's walks; each walk books its own room type so they never share a room.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from cloud.i18n.catalog import translations
from tests.browser import front_desk as desk
from tests.browser.conftest import SHOTS
from tests.browser.test_portal import _english_msgids, _untranslated
from tests.integration.desk_support import RunningAgent, running_agent
from tests.support.hotel import Hotel, running_hotel

pytestmark = [pytest.mark.browser, pytest.mark.service, pytest.mark.xdist_group("hotel-walk")]  # one hotel


@pytest.fixture(scope="module")
def hotel() -> Iterator[Hotel]:
    with running_hotel() as running:
        yield running


STATION = "desk-1"


@pytest.fixture(scope="module")
def desk_station(hotel: Hotel) -> Iterator[RunningAgent]:
    """The desk agent of station desk-1 with the simulated card writer, signed in with its token."""
    with running_agent(hotel.url, hotel.desk_token, station=STATION) as agent:
        yield agent


@dataclass(frozen=True)
class Walk:
    locale: str
    tag: str  # the portal's language
    ident: str  # catalogue folder; "en" has none
    guest: str
    room_type: str


WALKS = {
    "en": Walk("en-GB", "en", "en", "Ana García López", "std"),
    "es": Walk("es-ES", "es", "es", "María López Ruiz", "sup"),
    "zh": Walk("zh-CN", "zh-Hans", "zh_Hans", "王芳", "ste"),
}


def translated(ident: str) -> desk.Check:
    """In English nothing to check; otherwise no English message of the catalogue on the page."""
    if ident == "en":
        return desk.no_check
    msgids = _english_msgids(ident)

    def check(page: Page) -> None:
        assert _untranslated(page, msgids) == [], page.url

    return check


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def front_desk_walk(browser: Browser, hotel: Hotel, agent: RunningAgent, walk: Walk) -> None:
    check = translated(walk.ident)
    shots = desk.Shots(SHOTS, f"walk-{walk.ident}")
    context = browser.new_context(locale=walk.locale, viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    page = context.new_page()
    try:
        desk.sign_in(page, hotel, "lucia", check=check)
        shots.take(page, "signed-in")

        reservation = desk.book(page, hotel, guest=walk.guest, room_type=walk.room_type, check=check)
        shots.take(page, "booked")
        room = desk.check_in(page, check=check)
        shots.take(page, "checked-in")
        card_id = desk.encode_card(page, station=STATION, check=check)
        shots.take(page, "card-encoded")
        card = desk.tag_bytes(agent.tray, card_id)
        assert desk.card_for(hotel, reservation, room) == card  # the floor's gateway holds this card

        stay_url = page.url
        desk.open_board(page, hotel, check=check)
        access = page.locator(f"{desk.tile(page, room)} .access")
        before = access.inner_text()
        page.evaluate("window.__sameDocument = true")  # gone if the page reloads
        hotel.tap(room, card)
        expect(access).to_contain_text("✔", timeout=desk.WAIT_MS)
        assert access.inner_text() != before
        assert page.evaluate("window.__sameDocument === true"), "the board reloaded"
        granted = translations(walk.tag).ugettext("access granted")  # the event, in the page's language
        expect(page.locator("#event-log li").first).to_contain_text(f"f1/{room} {granted}")
        check(page)
        shots.take(page, "tap-on-board")

        page.goto(stay_url)
        invoice = desk.check_out(page, reservation, check=check, shots=shots)
        assert invoice.read_bytes().startswith(b"%PDF-")
        assert walk.guest in pdf_text(invoice)  # the guest's own invoice
        page.goto(stay_url)
        expect(page.locator("h1")).to_contain_text(translations(walk.tag).ugettext("checked out"))
        check(page)
    finally:
        context.close()


def test_front_desk_walk_books_checks_in_sees_the_tap_live_and_checks_out(
        browser: Browser, hotel: Hotel, desk_station: RunningAgent) -> None:
    front_desk_walk(browser, hotel, desk_station, WALKS["en"])


@pytest.mark.parametrize("language", ["es", "zh"])
def test_the_front_desk_walk_in_spanish_and_chinese_shows_no_untranslated_string(
        browser: Browser, hotel: Hotel, desk_station: RunningAgent, language: str) -> None:
    front_desk_walk(browser, hotel, desk_station, WALKS[language])
