"""The guest's own journey on a phone (Chromium in mobile emulation), in Spanish and in Chinese,
against the whole hotel (cloud, broker, a floor gateway with firmware door nodes): search, book,
pay the deposit through the Stripe stand-in (a card, then Alipay), receive the confirmation at the
local SMTP server, pre-check-in with a refused and then a valid ID number, check in at the desk
by scanning the guest's QR, open the room's door with the phone key at the door's scanner (the
gateway decides it), pay the balance online, check out from the phone and receive the invoice;
the phone key is refused at the door after check-out. Every guest page without an English string.

Check-in is on the arrival day itself: before the property's check-in hour the desk's rule lets
a guest in when the room is reported ready, which the running floor does for its empty rooms."""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from babel.messages.pofile import read_po
from PIL import Image
from playwright.sync_api import Browser, Page, Playwright, expect
from sqlalchemy import select

from cloud.board.models import EventRecord
from cloud.catalog.models import Room
from cloud.commands.models import Command
from cloud.core.db import make_engine, make_sessionmaker
from cloud.i18n.catalog import LOCALE_DIR
from cloud.reservations.models import RoomAllocation
from tests.browser.front_desk import sign_in
from tests.browser.guest_server import GuestServer, guest_server
from tests.support.hotel import NODES

TEMPLATES = Path(__file__).resolve().parents[2] / "cloud/portal/templates/guestweb"
ZONE = ZoneInfo("Europe/Madrid")  # the demo property's: its "today" is the arrival
SHOTS = Path("/tmp/posada-guest-shots")
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def hotel() -> Iterator[GuestServer]:
    with guest_server() as server:
        yield server


def _english_left(ident: str) -> set[str]:
    """The guest templates' English strings whose translation into ``ident`` differs."""
    used = set()
    for page in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r"_\('((?:[^'\\]|\\.)+)'", page.read_text()))
    with (LOCALE_DIR / ident / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh) if m.id}
    return {text.split("%(")[0].strip() for text in used
            if catalog.get(text) and catalog[text] != text and len(text.split("%(")[0].strip()) > 4}


def _no_english(page: Page, english: set[str]) -> None:
    shown = page.inner_text("body")
    left = sorted(text for text in english if text in shown)
    assert left == [], left


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _wait(what: str, found: Callable[[], object], timeout_s: float = 30) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout_s} s")


def _mail(server: GuestServer, address: str, *, attachment: str) -> EmailMessage:
    def find() -> EmailMessage | None:
        for mail in server.smtp.mailbox.to(address):
            if any((part.get_filename() or "").startswith(attachment) for part in mail.iter_attachments()):
                return mail
        return None
    found = _wait(f"an email to {address} with {attachment}", find)
    assert isinstance(found, EmailMessage)
    return found


def _read_qr(page: Page, selector: str) -> str:
    """What a camera reads off the phone's screen: the QR decoded from the page's pixels."""
    img = page.locator(selector)
    img.evaluate("el => el.complete && el.naturalWidth > 0 || new Promise(done => el.onload = done)")
    shot = img.screenshot()
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)).convert("L"))
    if not codes:
        SHOTS.mkdir(parents=True, exist_ok=True)
        (SHOTS / "unreadable.png").write_bytes(shot)
    assert codes, f"no QR code readable in {selector}"
    return str(codes[0].text)


def _pay_at_standin(page: Page, server: GuestServer, method: str) -> None:
    expect(page).to_have_url(re.compile(re.escape(server.stripe_url) + "/pay/"))
    if method == "card":
        page.fill("#card", "4242 4242 4242 4242")
        page.locator("button[value=card]").click()
    else:
        page.locator("button[value=alipay]").click()
        page.locator("button[value=alipay]").click()  # the Alipay test page: authorize


def _book_and_pay(page: Page, server: GuestServer, *, lang: str, email: str, english: set[str],
                  method: str) -> None:
    arrival = datetime.now(ZONE).date()
    page.goto(f"{server.url}/guest/hotel?lang={lang}")
    _no_english(page, english)
    page.fill("#arrival", arrival.isoformat())
    page.fill("#departure", (arrival + timedelta(days=2)).isoformat())
    page.fill("#adults", "2")
    page.locator("form button[type=submit]").click()
    expect(page.locator('section[data-room-type="std"]')).to_be_visible()
    _no_english(page, english)
    page.locator('section[data-room-type="std"] div[data-rate-plan="flex"] a.button').click()
    page.fill("#guest_name", "Ana Ruiz")
    page.fill("#guest_email", email)
    _no_english(page, english)
    page.locator("form[method=post] button[type=submit]").click()
    expect(page.locator("#booking")).to_be_visible()
    _no_english(page, english)
    page.locator("#booking form button[type=submit]").click()  # to the stand-in's hosted checkout
    _pay_at_standin(page, server, method)
    expect(page.locator("#booking .confirmed")).to_be_visible(timeout=WAIT_MS)
    _no_english(page, english)


def _precheckin(page: Page, link: str, english: set[str]) -> str:
    """Pre-check-in with a wrong, then a right DNI; the check-in code the phone then shows."""
    page.goto(link)
    _no_english(page, english)
    page.fill("#nationality", "ES")
    page.fill("#birth_date", "1990-05-04")
    page.select_option("#doc_type", "national_id")
    page.fill("#doc_number", "12345678A")  # the check letter of 12345678 is Z
    page.fill("#doc_country", "ES")
    page.fill("#signed_name", "Ana Ruiz")
    page.check("input[name=accept]")
    page.locator("form button[type=submit]").click()
    expect(page.locator("section.problem")).to_be_visible()
    _no_english(page, english)
    page.go_back()
    page.fill("#doc_number", "12345678Z")
    page.locator("form button[type=submit]").click()
    expect(page.locator("#checkin-qr img")).to_be_visible()
    _no_english(page, english)
    return _read_qr(page, "#checkin-qr img")


def _desk_checks_in(browser: Browser, server: GuestServer, code: str, *, lang: str) -> str:
    """The front desk scans the guest's code; the reservation id of the stay checked in."""
    context = browser.new_context(locale=lang)
    desk = context.new_page()
    sign_in(desk, server.hotel, "lucia")
    desk.goto(f"{server.url}/desk/qr-check-in")
    desk.fill("#code", code)  # what the desk's scanner types
    desk.select_option("#station", "")
    desk.locator("form[action=\"/desk/qr-check-in\"] button[type=submit]").click()
    expect(desk).to_have_url(re.compile(r"/reservations/[0-9A-Z]{26}$"), timeout=WAIT_MS)
    reservation_id = desk.url.rsplit("/", 1)[1]
    context.close()
    return reservation_id


def _room_of(server: GuestServer, reservation_id: str) -> str:
    engine = make_engine(server.hotel.db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return str(session.scalars(select(Room.slug)
                                       .join(RoomAllocation, RoomAllocation.room_id == Room.id)
                                       .where(RoomAllocation.reservation_id == reservation_id)).one())
    finally:
        engine.dispose()


def _door_event(server: GuestServer, room: str, reason: str, since: datetime) -> EventRecord | None:
    engine = make_engine(server.hotel.db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.scalars(select(EventRecord).where(
                EventRecord.room == room, EventRecord.type.like("access.%"),
                EventRecord.data["reason"].as_string() == reason, EventRecord.received_at >= since)).first()
    finally:
        engine.dispose()


def _revoke_acked(server: GuestServer, credential_id: str) -> bool:
    engine = make_engine(server.hotel.db_url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.scalars(select(Command.id).where(
                Command.type == "credential.revoke", Command.ack_ok.is_(True),
                Command.data["credential_id"].as_string() == credential_id)).first() is not None
    finally:
        engine.dispose()


def _phone_key_opens_the_door(page: Page, server: GuestServer, stay: str, room: str, *, lang: str,
                              english: set[str]) -> tuple[str, EventRecord]:
    """The phone key shown at the door's scanner; the gateway grants it and the node unlocks."""
    page.goto(f"{stay}?lang={lang}")
    page.locator('a[href*="/key?"]').click()
    page.locator("#phone-key form button[type=submit]").click()
    expect(page.locator("#phone-key img")).to_be_visible()
    _no_english(page, english)
    _shot(page, f"{lang}-phone-key")
    text = _read_qr(page, "#phone-key img")
    node = server.hotel.bus.nodes[NODES[room]]
    mark, since = node.lock.mark(), datetime.now(UTC)
    server.hotel.scanners[room].show(text)  # the phone held to the door's scanner
    assert node.lock.wait_for(1, timeout=20, since=mark), "the door did not open for the phone key"
    granted = _wait("the grant stored in the cloud", lambda: _door_event(server, room, "granted", since))
    assert isinstance(granted, EventRecord) and granted.credential_id
    return text, granted


def _checks_out(page: Page, server: GuestServer, stay: str, *, lang: str, method: str,
                english: set[str]) -> None:
    """The bill on the phone, the balance paid online, then check-out."""
    page.goto(f"{stay}/checkout?lang={lang}")
    expect(page.locator("#pay-balance")).to_be_visible()
    _no_english(page, english)
    _shot(page, f"{lang}-bill")
    page.locator("#pay-balance button").click()
    _pay_at_standin(page, server, method)
    leave = page.locator('form[action*="/checkout?"] button[type=submit]')
    expect(leave).to_be_visible(timeout=WAIT_MS)  # once the signed webhook posted the payment
    _no_english(page, english)
    leave.click()
    expect(page.locator(".confirmed")).to_be_visible(timeout=WAIT_MS)
    _no_english(page, english)
    _shot(page, f"{lang}-checked-out")


def _journey(browser: Browser, playwright_: Playwright, hotel: GuestServer, *, lang: str, ident: str,
             email: str, method: str) -> None:
    english = _english_left(ident)
    context = browser.new_context(**playwright_.devices["Pixel 7"], locale=lang)
    page = context.new_page()
    _book_and_pay(page, hotel, lang=lang, email=email, english=english, method=method)
    mail = _mail(hotel, email, attachment="receipt")
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and mail["Subject"]
    links = re.findall(r"http://127\.0\.0\.1:\d+/guest/hotel/(?:stay|precheckin)/[^\s?]+", body.get_content())
    stay = next(link for link in links if "/stay/" in link)
    code = _precheckin(page, next(link for link in links if "/precheckin/" in link), english)
    assert code.startswith("POSADA-CHECKIN:")
    reservation_id = _desk_checks_in(browser, hotel, code, lang=lang)
    room = _room_of(hotel, reservation_id)
    key, granted = _phone_key_opens_the_door(page, hotel, stay, room, lang=lang, english=english)
    _checks_out(page, hotel, stay, lang=lang, method=method, english=english)
    assert _mail(hotel, email, attachment="invoice")["Subject"]
    _wait("the phone key's revocation acknowledged by the floor",
          lambda: _revoke_acked(hotel, str(granted.credential_id)))
    since = datetime.now(UTC)
    hotel.hotel.scanners[room].show(key)  # the same key at the door after check-out
    _wait("the revoked phone key refused at the door", lambda: _door_event(hotel, room, "revoked", since))
    context.close()


def test_a_guest_books_pays_checks_in_opens_the_door_and_checks_out_from_a_phone(
    hotel: GuestServer, browser: Browser, playwright_: Playwright
) -> None:
    for lang, ident, email, method in (("es", "es", "ana@example.com", "card"),
                                       ("zh-Hans", "zh_Hans", "li@example.com", "alipay")):
        _journey(browser, playwright_, hotel, lang=lang, ident=ident, email=email, method=method)
    assert len(hotel.stripe.sessions) == 4  # two deposits, two balances
