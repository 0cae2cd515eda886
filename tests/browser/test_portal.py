"""The portal in a real browser: sign-in, sign-out, throttled sign-in, role walls, three languages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, BrowserContext, Page, expect

from cloud.i18n.catalog import LOCALE_DIR
from tests.browser.conftest import LOCKED_OUT, PASSWORD, SHOTS, Server

pytestmark = pytest.mark.browser


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


def sign_in(page: Page, server: Server, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{server.url}/signin")
    page.get_by_label(re.compile("Username|Usuario|用户名")).fill(username)
    page.locator("#password").fill(password)
    page.locator("#password").press("Enter")  # keyboard only


def test_sign_in_lands_on_the_board_and_sign_out_returns_to_sign_in(
    context: BrowserContext, server: Server
) -> None:
    page = context.new_page()
    page.goto(f"{server.url}/guests")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fguests$"))
    page.get_by_label("Username").fill("lucia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/guests$"))
    page.get_by_label(re.compile("Name, email")).fill("garcia")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Ana García López").click()
    expect(page.locator("#guest-name")).to_have_text("Ana García López")
    expect(page.get_by_text("€1,234.50").first).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "guest-profile-en.png"), full_page=True)
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page).to_have_url(re.compile(r"/signin$"))
    page.goto(f"{server.url}/guests")
    expect(page).to_have_url(re.compile(r"/signin\?next="))


def test_three_wrong_passwords_make_the_next_sign_in_wait(context: BrowserContext, server: Server) -> None:
    page = context.new_page()
    for _ in range(3):
        sign_in(page, server, LOCKED_OUT, "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Wrong username or password")
    sign_in(page, server, LOCKED_OUT, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Try again in")
    expect(page).to_have_url(re.compile(r"/signin$"))


def test_maintenance_cannot_open_a_guest_profile(context: BrowserContext, server: Server) -> None:
    page = context.new_page()
    sign_in(page, server, "jorge")
    expect(page.get_by_role("heading", name="Room board")).to_be_visible()
    expect(page.get_by_role("link", name="Guests")).to_have_count(0)
    response = page.goto(f"{server.url}/guests/{server.guest_id}")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    assert "García" not in page.content() and "PA1234567" not in page.content()


def _english_msgids(ident: str) -> list[str]:
    """English messages whose translation differs (so seeing them means a missed translation)."""
    with (LOCALE_DIR / ident / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    return [m.id for m in catalog if isinstance(m.id, str) and m.id and m.string != m.id]


def _untranslated(page: Page, msgids: list[str]) -> list[str]:
    visible = page.locator("body").inner_text()
    labels = page.eval_on_selector_all("[aria-label]", "els => els.map(e => e.getAttribute('aria-label'))")
    text = visible + "\n" + "\n".join(labels)
    return [m for m in msgids if re.search(rf"(?<![\w]){re.escape(m.strip())}(?![\w])", text)]


@pytest.mark.parametrize(
    ("accept", "ident", "signin_label"), [("es-ES", "es", "Iniciar sesión"), ("zh-CN", "zh_Hans", "登录")]
)
def test_the_walk_in_spanish_and_chinese_shows_no_untranslated_string(
    browser: Browser, server: Server, accept: str, ident: str, signin_label: str
) -> None:
    ctx = browser.new_context(locale=accept, viewport={"width": 1024, "height": 768})  # a tablet
    page = ctx.new_page()
    msgids = _english_msgids(ident)
    walk = [
        "/",
        "/rooms/hotel/f1/101",
        "/guests?q=garcia",
        f"/guests/{server.guest_id}",
        "/guests/new",
        "/account",
        "/staff",
    ]
    page.goto(f"{server.url}/signin")
    expect(page.get_by_role("button", name=signin_label)).to_be_visible()
    assert _untranslated(page, msgids) == []
    sign_in(page, server, "marta")
    for path in walk:
        page.goto(f"{server.url}{path}")
        assert _untranslated(page, msgids) == [], path
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{server.url}/guests/{server.guest_id}")
    page.screenshot(path=str(SHOTS / f"guest-profile-{ident}.png"), full_page=True)
    page.goto(f"{server.url}/")
    page.screenshot(path=str(SHOTS / f"board-{ident}.png"), full_page=True)
    page.goto(f"{server.url}/staff")
    page.screenshot(path=str(SHOTS / f"staff-{ident}.png"), full_page=True)
    ctx.close()


def test_language_switch_persists_for_the_session(context: BrowserContext, server: Server) -> None:
    page = context.new_page()
    page.goto(f"{server.url}/signin")
    page.get_by_label("Language").select_option("es")
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Iniciar sesión")).to_be_visible()
