"""The guest's own journey on a phone (Chromium in mobile emulation), in Spanish and in Chinese:
search, book, pay the deposit through the Stripe stand-in (a card, then Alipay), receive the
confirmation at the local SMTP server, pre-check-in with a refused and then a valid ID number,
and see the check-in code; every guest page without an English string left."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, Page, Playwright, expect

from cloud.i18n.catalog import LOCALE_DIR
from tests.browser.guest_server import GuestServer, guest_server

TEMPLATES = Path(__file__).resolve().parents[2] / "cloud/portal/templates/guestweb"
ARRIVAL = date.today() + timedelta(days=20)


@pytest.fixture(scope="module")
def guest_site() -> Iterator[GuestServer]:
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


def _mail_to(server: GuestServer, address: str, timeout_s: float = 30) -> EmailMessage:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = server.smtp.mailbox.to(address)
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError(f"no email to {address}")


def _book_and_pay(page: Page, server: GuestServer, *, lang: str, email: str, english: set[str],
                  method: str) -> None:
    page.goto(f"{server.url}/guest/hotel?lang={lang}")
    _no_english(page, english)
    page.fill("#arrival", ARRIVAL.isoformat())
    page.fill("#departure", (ARRIVAL + timedelta(days=2)).isoformat())
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
    expect(page).to_have_url(re.compile(re.escape(server.stripe_url) + "/pay/"))
    if method == "card":
        page.fill("#card", "4242 4242 4242 4242")
        page.locator("button[value=card]").click()
    else:
        page.locator("button[value=alipay]").click()
        page.locator("button[value=alipay]").click()  # the Alipay test page: authorize
    expect(page.locator("#booking .confirmed")).to_be_visible(timeout=30_000)
    _no_english(page, english)


def test_a_guest_books_pays_and_checks_in_online_from_a_phone(
    guest_site: GuestServer, browser: Browser, playwright_: Playwright
) -> None:
    phone = playwright_.devices["Pixel 7"]
    for lang, ident, email, method in (("es", "es", "ana@example.com", "card"),
                                       ("zh-Hans", "zh_Hans", "li@example.com", "alipay")):
        english = _english_left(ident)
        context = browser.new_context(**phone, locale=lang)
        page = context.new_page()
        _book_and_pay(page, guest_site, lang=lang, email=email, english=english, method=method)
        mail = _mail_to(guest_site, email)
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None and mail["Subject"] and "receipt.pdf" in [
            part.get_filename() for part in mail.iter_attachments()]
        link = re.search(r"http://127\.0\.0\.1:\d+/guest/hotel/precheckin/\S+", body.get_content())
        assert link is not None
        page.goto(link.group(0))
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
        context.close()
    assert len(guest_site.stripe.sessions) == 2
