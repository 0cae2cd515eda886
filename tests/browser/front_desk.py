"""The front desk's steps in the portal, written once for the walks and the board benchmark.

Selectors go by form actions and field names, never by words, so the same steps run in every
language; ``check`` is called on each page reached (the walks assert no untranslated string).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from edge.desk.simulated import SimulatedTray
from edge.hw.nfc import read_keycard
from edge.hw.nfc_sim import SimulatedReader
from tests.support.hotel import PASSWORD, Hotel

Check = Callable[[Page], None]
STAY_URL = re.compile(r"/reservations/([0-9A-Za-z]{26})$")
ZONE = ZoneInfo("Europe/Madrid")  # the demo property's time zone: its "today" is the arrival
WAIT_MS = 20_000  # a page after a post, on a shared 2-core machine running other suites


def no_check(_page: Page) -> None:
    return None


@dataclass
class Shots:
    """Numbered screenshots of one walk, in the order taken."""

    directory: Path
    prefix: str
    taken: int = 0

    def take(self, page: Page, name: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.taken += 1
        path = self.directory / f"{self.prefix}-{self.taken:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def sign_in(page: Page, hotel: Hotel, username: str, *, check: Check = no_check) -> None:
    page.goto(f"{hotel.url}/signin")
    check(page)
    page.locator("input[name=username]").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).not_to_have_url(re.compile(r"/signin"), timeout=WAIT_MS)


def book(page: Page, hotel: Hotel, *, guest: str, room_type: str, nights: int = 1,
         check: Check = no_check) -> str:
    """Book through the form, from today; returns the reservation id."""
    today = datetime.now(ZONE).date()
    arrival, departure = today.isoformat(), (today + timedelta(days=nights)).isoformat()
    page.goto(f"{hotel.url}/reservations/new?arrival={arrival}&departure={departure}&adults=1")
    expect(page.locator("#offers")).to_be_visible(timeout=WAIT_MS)
    check(page)
    form = page.locator("form[method=post][action^='/reservations/new']")
    form.locator("select[name=room_type]").select_option(room_type)
    form.locator("select[name=rate_plan]").select_option("flex")
    form.locator("input[name=arrival]").fill(arrival)
    form.locator("input[name=departure]").fill(departure)
    form.locator("input[name=guest_name]").fill(guest)
    form.locator("input[name=guest_email]").fill("guest@example.com")
    form.locator("input[name=guest_phone]").fill("+34 600 123 456")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(STAY_URL, timeout=WAIT_MS)
    match = STAY_URL.search(page.url)
    assert match is not None
    expect(page.locator("form[action$='/check-in']")).to_be_visible()
    check(page)
    return match.group(1)


def check_in(page: Page, *, check: Check = no_check) -> str:
    """Press Check in on the stay page; returns the room the stay was given."""
    page.locator("form[action$='/check-in'] button").click()
    expect(page.locator("form[action$='/check-in']")).to_have_count(0, timeout=WAIT_MS)
    expect(page.locator("[role=alert]")).to_have_count(0)
    check(page)
    rooms = page.locator(".profile .card p").nth(1).inner_text()
    found = re.search(r"\b(1\d\d) \(", rooms)
    assert found is not None, rooms
    return found.group(1)


def card_for(hotel: Hotel, reservation_id: str, room: str, *, timeout: float = 30) -> bytes:
    """The card the cloud signed at check-in, once the floor's gateway has taken it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        card = hotel.card_sent(reservation_id, room)
        if card is not None:
            return card
        time.sleep(0.1)
    raise AssertionError(f"the gateway did not acknowledge the card for room {room} in {timeout}s\n"
                         f"{hotel.log_tail('gateway.log')}")


def open_board(page: Page, hotel: Hotel, *, check: Check = no_check) -> None:
    page.goto(f"{hotel.url}/")
    expect(page.locator("#live-status.on")).to_be_visible(timeout=WAIT_MS)  # the stream is open
    check(page)


def tile(page: Page, room: str) -> str:
    return f"#room-hotel-f1-{room}"


def check_out(page: Page, reservation_id: str, *, check: Check = no_check, shots: Shots) -> Path:
    """From the stay page: the check-out page, the folio paid in cash, check out with the invoice,
    and its PDF downloaded; returns the downloaded file."""
    page.locator(f"a[href='/reservations/{reservation_id}/checkout']").click()
    expect(page.locator("#folio-lines tbody tr")).to_have_count(1, timeout=WAIT_MS)  # the night
    check(page)
    shots.take(page, "folio")
    page.locator("#cash-tendered").fill("500")
    page.locator("#cash-tendered").press("Enter")
    expect(page.locator("#change")).to_be_visible(timeout=WAIT_MS)
    expect(page.locator("#cash-amount")).to_have_count(0)  # nothing left to pay
    check(page)
    shots.take(page, "paid")
    page.locator("form[action$='/checkout/finish'] button[type=submit]").click()
    expect(page.locator("#invoices a[download]")).to_have_count(1, timeout=WAIT_MS)
    expect(page.locator("[role=alert]")).to_have_count(0)
    check(page)
    shots.take(page, "checked-out")
    with page.expect_download() as info:
        page.locator("#invoices a[download]").click()
    assert re.fullmatch(r"INV-\d{6}\.pdf", info.value.suggested_filename), info.value.suggested_filename
    path = shots.directory / f"{shots.prefix}-{info.value.suggested_filename}"
    info.value.save_as(path)
    return path


def encode_card(page: Page, *, station: str, check: Check = no_check) -> str:
    """Encode card on the stay page at a desk station; returns the card's id once it is on a tag."""
    form = page.locator("form[action$='/cards/encode']")
    form.locator("select[name=station]").select_option(station)
    form.locator("button[type=submit]").click()
    encoded = page.locator("#keycards tr[data-status=encoded]")
    expect(encoded).to_have_count(1, timeout=WAIT_MS)  # the section follows the job live
    check(page)
    card = encoded.get_attribute("data-card")
    assert card
    return card


def tag_bytes(tray: SimulatedTray, card_id: str) -> bytes:
    """What a door's reader reads from the tag the desk station wrote for ``card_id``."""
    tag = next(tag for job, tag in tray.written if job.credential_id == card_id)
    reader = SimulatedReader()
    reader.present(tag)
    read = read_keycard(reader, timeout_s=1)
    assert read is not None, "the written tag does not read back"
    return read[1]
