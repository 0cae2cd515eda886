"""The stay page's Keycards section in Chromium: Encode card turns into "encoded" when the
simulated desk agent (``posada desk --simulate``, its own process) writes the tag; Revoke."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from cloud.auth.accounts import create_staff, principal_of
from cloud.auth.demo import DEMO_CHAIN
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.sessions import issue_api_token
from cloud.auth.settings import AuthSettings
from cloud.cards.issuer import KeyringIssuer
from cloud.catalog import service as catalog
from cloud.catalog.models import Property
from cloud.core.db import make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.core.nights import local_today
from cloud.keys.storage import KeyDirectory
from cloud.reservations.sales import booking
from cloud.reservations.sales.booking import Booking
from cloud.reservations.stays import rooms
from cloud.reservations.stays import service as stays
from cloud.setup.demo import seed_demo
from mqtt.envelope import utcnow
from tests.browser.conftest import PASSWORD, SHOTS
from tests.support.db import migrated_sqlite, sealed_engine
from tests.support.portal import running_portal
from tests.support.ports import free_port

pytestmark = pytest.mark.browser


@dataclass
class Hotel:
    url: str
    stay: str
    directory: Path


def _seed(url: str, keys: Path, *, secret: str) -> tuple[str, str]:
    """The demo hotel, a front-desk clerk with an API token for the desk agent, a checked-in stay."""
    engine = sealed_engine(url, secret=secret)
    upgrade(engine)
    now = utcnow()
    issuer = KeyringIssuer(KeyDirectory(keys).load_or_create(now=now - timedelta(days=1)))
    with make_sessionmaker(engine)() as s, s.begin():
        prop = seed_demo(s)
        clerk = create_staff(
            s,
            actor="test",
            passwords=Passwords(
                AuthSettings(argon2_memory_kib=19456, argon2_time_cost=2, argon2_parallelism=1)
            ),
            username="lucia",
            display_name="Lucía Pérez",
            password=PASSWORD,
            role=Role.FRONT_DESK,
            site="hotel",
            chain=DEMO_CHAIN,
        )
        s.flush()
        token, _ = issue_api_token(
            s, principal=principal_of(s, clerk), name="desk-1", now=now, settings=AuthSettings()
        )
        prop = s.scalars(select(Property).where(Property.slug == "hotel")).one()
        today = local_today(now, prop.timezone)
        res = booking.book(
            s,
            Booking(
                property="hotel",
                room_type="std",
                rate_plan="flex",
                arrival=today - timedelta(days=1),
                departure=today + timedelta(days=2),
                adults=2,
                guest_name="Ana Ruiz",
                assign=False,
            ),
            now=now - timedelta(days=1),
        )
        rooms.move(s, res, room=catalog.room_by_slug(s, prop, "103"))
        stays.check_in(s, res, issuer=issuer, now=now, actor="test")
        stay = res.id
    engine.dispose()
    return stay, token


@pytest.fixture(scope="module")
def hotel() -> Iterator[Hotel]:
    directory = Path(tempfile.mkdtemp(prefix="posada-keycards-"))
    port = free_port()
    env = {
        **os.environ,
        "POSADA_DATABASE_URL": migrated_sqlite(directory / "cloud.db"),
        "POSADA_MQTT_ENABLED": "false",
        "POSADA_KEYS_DIR": str(directory / "keys"),
        "POSADA_ARGON2_MEMORY_KIB": "19456",
        "POSADA_SECRET_KEY": "browser-test-secret-key-0123456789",
    }
    stay, token = _seed(env["POSADA_DATABASE_URL"], directory / "keys", secret=env["POSADA_SECRET_KEY"])
    with running_portal(env, port=port, log_path=directory / "server.log", timeout=90) as url, \
            (directory / "desk.log").open("wb") as desk_log:
        desk = subprocess.Popen(
            [sys.executable, "-m", "posada.cli", "desk", "--url", url, "--site", "hotel",
             "--station", "desk-1", "--simulate"],
            env={**env, "POSADA_DESK_TOKEN": token}, stdout=desk_log, stderr=desk_log)
        try:
            yield Hotel(url=url, stay=stay, directory=directory)
        finally:
            desk.terminate()
            try:
                desk.wait(timeout=30)
            except subprocess.TimeoutExpired:
                desk.kill()


def test_encode_card_turns_into_encoded_without_a_reload_and_revoke_marks_it(
    browser: Browser, hotel: Hotel
) -> None:
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{hotel.url}/signin")
    page.get_by_label("Username").fill("lucia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{hotel.url}/reservations/{hotel.stay}")
    section = page.locator("#keycards")
    expect(section.get_by_role("heading", name="Keycards")).to_be_visible()
    expect(section.locator("tbody tr")).to_have_count(1)
    expect(section.locator(".card-status").first).to_have_text("Not on a card yet")
    expect(section.get_by_label("Desk station")).to_contain_text("desk-1", timeout=60_000)

    section.get_by_label("Guest").select_option("1")
    section.get_by_role("button", name="Encode card").click()
    status = page.locator("#keycards tbody tr").first.locator(".card-status")
    expect(status).to_contain_text(re.compile("Waiting for the encoder|Encoded on tag"))
    url_after_post = page.url
    expect(status).to_have_text(re.compile(r"^Encoded on tag [0-9a-f]{14}$"), timeout=30_000)
    assert page.url == url_after_post  # updated in place, no reload

    page.locator("#keycards").get_by_label("Guest").select_option("2")
    page.locator("#keycards").get_by_role("button", name="Encode card").click()
    second = page.locator("#keycards tbody tr").nth(1)
    expect(second.locator("td").first).to_have_text("2")
    expect(second.locator(".card-status")).to_have_text(
        re.compile(r"^Encoded on tag [0-9a-f]{14}$"), timeout=30_000
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "stay-keycards-en.png"), full_page=True)

    page.locator("#keycards tbody tr").first.get_by_role("button", name="Revoke").click()
    expect(page.locator("#keycards tbody tr").first.locator(".card-status")).to_have_text("Revoked")
    expect(page.locator("#keycards tbody tr").nth(1).locator(".card-status")).to_contain_text(
        "Encoded on tag"
    )
    ctx.close()


@pytest.mark.parametrize(
    ("accept", "ident", "heading"), [("es-ES", "es", "Tarjetas de acceso"), ("zh-CN", "zh_Hans", "房卡")]
)
def test_the_keycards_section_speaks_spanish_and_chinese(
    browser: Browser, hotel: Hotel, accept: str, ident: str, heading: str
) -> None:
    from tests.browser.test_portal import _english_msgids, _untranslated

    ctx = browser.new_context(locale=accept, viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{hotel.url}/signin")
    page.locator("input[name=username]").fill("lucia")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.goto(f"{hotel.url}/reservations/{hotel.stay}")
    expect(page.locator("#keycards").get_by_role("heading", name=heading)).to_be_visible()
    assert _untranslated(page, _english_msgids(ident)) == []
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"stay-keycards-{ident}.png"), full_page=True)
    ctx.close()
