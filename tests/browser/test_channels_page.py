"""The channel page in Chromium, in English, Spanish and Chinese: a channel whose pushes the
stand-in OTA refuses (a changed password), an overbooking with what to do, refused input, the
credentials named without their secrets, and "Resync now" queueing a full resync."""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from cloud.auth.accounts import create_staff
from cloud.auth.demo import DEMO_CHAIN
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.settings import AuthSettings
from cloud.catalog import service as catalog
from cloud.catalog.models import Restriction
from cloud.channels import registry
from cloud.channels.ota import inbound, standin
from cloud.core.db import make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.core.nights import local_today
from cloud.setup.demo import seed_demo
from mqtt.envelope import utcnow
from tests.browser.conftest import PASSWORD, SHOTS
from tests.support.db import sealed_engine
from tests.support.portal import running_portal
from tests.support.ports import free_port

pytestmark = pytest.mark.browser
HOTEL = "POSADA-1"
SECRET_KEY = "browser-channels-secret-key-0123456789"


@dataclass
class ChannelServer:
    url: str
    ota: standin.StandInOta
    log: Path


def _seed(url: str, ota: standin.StandInOta) -> None:
    engine = sealed_engine(url, secret=SECRET_KEY)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    now = utcnow()
    with sessions.begin() as s:
        prop = seed_demo(s)
        create_staff(
            s,
            actor="test",
            passwords=Passwords(
                AuthSettings(argon2_memory_kib=19456, argon2_time_cost=2, argon2_parallelism=1)
            ),
            username="marta",
            display_name="Marta Ruiz",
            password=PASSWORD,
            role=Role.MANAGER,
            site="hotel",
            chain=DEMO_CHAIN,
        )
        channel, secret = registry.create(
            s,
            prop,
            registry.NewChannel(
                code="booking",
                name="Booking.com",
                kind="ota",
                hotel_code=HOTEL,
                endpoint_url=ota.url,
                calls_per_minute=600,
                credentials={"requestor_id": "CM-77", "message_password": "old-password"},
            ),
            now=now,
        )
        registry.set_mapping(s, channel, room_type="std", rate_plan="flex", room_code="STD", rate_code="BAR")
        registry.create(s, prop, registry.NewChannel(code="airbnb", name="Airbnb", kind="ical"), now=now)
        today = local_today(now, prop.timezone)
        s.add(
            Restriction(
                property_id=prop.id,
                start=today + timedelta(days=20),
                end=today + timedelta(days=22),
                stop_sell=True,
            )
        )
    arrival = local_today(now, "Europe/Madrid") + timedelta(days=20)
    for number, room in ((1, "STD"), (2, "XYZ")):  # an overbooking (stop sell), then refused input
        body = standin.reservation(
            hotel_code=HOTEL,
            confirmation=f"BK-{number}",
            room_code=room,
            rate_code="BAR",
            arrival=arrival,
            departure=arrival + timedelta(days=2),
            total="180.00",
            given="Olga",
            surname="Petrova",
        )
        assert inbound.receive(sessions, secret=secret, body=body, clock=utcnow, ledger=None)[0] == 200
    engine.dispose()
    _ = catalog


@pytest.fixture(scope="module", name="server")
def _server() -> Iterator[ChannelServer]:
    ota = standin.StandInOta(hotel_code=HOTEL, requestor=("CM-77", "new-password")).start()
    directory = Path(tempfile.mkdtemp(prefix="posada-channels-"))
    env = {
        **os.environ,
        "POSADA_DATABASE_URL": f"sqlite:///{directory / 'cloud.db'}",
        "POSADA_MQTT_ENABLED": "false",
        "POSADA_ARGON2_MEMORY_KIB": "19456",
        "POSADA_ARGON2_TIME_COST": "2",
        "POSADA_ARGON2_PARALLELISM": "1",
        "POSADA_SECRET_KEY": SECRET_KEY,
        "POSADA_KEYS_DIR": str(directory / "keys"),
        "POSADA_CHANNELS_HORIZON_DAYS": "60",
    }
    _seed(env["POSADA_DATABASE_URL"], ota)
    try:
        log = directory / "server.log"
        with running_portal(env, port=free_port(), log_path=log) as url:
            yield ChannelServer(url=url, ota=ota, log=log)
    finally:
        ota.stop()


def _sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/signin")
    page.get_by_label(re.compile("Username|Usuario|用户名")).fill("marta")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).not_to_have_url(re.compile(r"/signin"))


def _wait_for_sender(page: Page, server: ChannelServer, push: str, *, timeout_s: float = 60) -> None:
    """The page shows the syncs as they were when it loaded: reload it until the sender's first
    round (started with the server, its own thread) is on it, or fail with the server's log."""
    syncs = page.locator("#channel-booking table.syncs")
    deadline = time.monotonic() + timeout_s
    while push not in syncs.inner_text():
        if time.monotonic() > deadline:
            pytest.fail(f"no push row after {timeout_s} s; server log:\n{server.log.read_text()[-4000:]}")
        page.wait_for_timeout(500)
        page.reload()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


WORDS = {
    "en-GB": (
        "Channels",
        "Overbookings",
        "Credentials",
        "To the channel",
        "Failed",
        "Resync now",
        "Full resync queued",
    ),
    "es-ES": (
        "Canales",
        "Sobreventas",
        "Credenciales",
        "Hacia el canal",
        "Fallido",
        "Sincronizar ahora",
        None,
    ),
    "zh-CN": ("渠道", None, "凭据", "推送到渠道", "失败", None, None),
}


# what is set of the channel's credentials, worded in the page's language (never their secrets)
CREDENTIALS = {
    "en-GB": "requestor CM-77, message password",
    "es-ES": "solicitante CM-77, contraseña de mensaje",
    "zh-CN": "请求方 CM-77, 消息密码",
}


@pytest.mark.parametrize("locale", ["en-GB", "es-ES", "zh-CN"])
def test_a_manager_reads_the_channel_page_and_resyncs(
    browser: Browser, server: ChannelServer, locale: str
) -> None:
    title, overbookings, credentials, push, failed, resync, queued = WORDS[locale]
    context = browser.new_context(locale=locale, viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        _sign_in(page, server.url)
        page.goto(f"{server.url}/channels/hotel")
        expect(page.get_by_role("heading", level=1)).to_contain_text(title)
        if overbookings:
            expect(page.locator("#overbookings h2")).to_have_text(overbookings)
        expect(page.locator("#overbookings")).to_contain_text("Olga Petrova")
        expect(page.locator("#overbookings")).to_contain_text("stop sell")
        card = page.locator("#channel-booking")
        expect(card).to_contain_text(f"{credentials}: {CREDENTIALS[locale]}")
        expect(card).not_to_contain_text("old-password")
        expect(card.locator(".problems")).to_contain_text("unknown room type or rate code XYZ/BAR")
        _wait_for_sender(page, server, push)
        expect(card.locator("table.syncs")).to_contain_text(push)
        expect(card.locator("table.messages")).to_contain_text(failed)
        expect(card.locator("table.messages")).to_contain_text("authorization failed")
        expect(page.locator("#channel-airbnb")).to_contain_text("Airbnb")
        _shot(page, f"channels-{locale}.png")
        if resync:
            card.get_by_role("button", name=resync).click()
            if queued:
                expect(page.get_by_role("status")).to_contain_text(queued)
            _shot(page, f"channels-{locale}-resync.png")
        assert server.ota.unauthorized >= 1 and not server.ota.accepted
    finally:
        context.close()
