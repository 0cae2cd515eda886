"""A chain offer in the booking engine on a phone, in Spanish: a code typed on the search opens
the code-only offer (named in Spanish, at its price), the guest books it, and a wrong code is
refused in the same words whatever was wrong."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect

from cloud.auth.roles import Principal, Role
from cloud.core.db import make_engine, make_sessionmaker
from cloud.loyalty.promotions import codes, service
from cloud.loyalty.promotions.models import Promotion
from cloud.setup.demo import seed_demo
from mqtt.envelope import new_id, utcnow
from tests.browser.conftest import SHOTS
from tests.support.db import migrated_sqlite
from tests.support.portal import running_portal
from tests.support.ports import free_port

SECRET = "browser-offer-secret-key-0123456789"
ARRIVAL = date.today() + timedelta(days=30)
HQ = Principal(
    user_id="hq", username="hq", display_name="HQ", role=Role.CHAIN_ADMIN, chain="posada-demo", site=None
)


@pytest.fixture(scope="module")
def offer_site() -> Iterator[tuple[str, str]]:
    directory = Path(tempfile.mkdtemp(prefix="posada-offer-"))
    db_url = migrated_sqlite(directory / "cloud.db")
    engine = make_engine(db_url)
    with make_sessionmaker(engine).begin() as session:
        seed_demo(session)
        promo = Promotion(
            id=new_id(),
            chain="posada-demo",
            code="vip",
            kind="seasonal",  # a code-only offer; a member rate would also need a membership
            names={"en": "Members' night", "es": "Noche para socios", "zh": "会员之夜"},
            base_plan="flex",
            room_types=["std"],
            price_rule="percent_off",
            price_value=25,
            stay_from=ARRIVAL - timedelta(days=5),
            stay_until=ARRIVAL + timedelta(days=30),
            weekdays=None,
            min_nights=1,
            extras=[],
            code_only=True,
            opt_out=True,
            multiplier_pct=100,
            bonus_points=0,
            status="active",
            created_by="hq",
            created_at=utcnow(),
        )
        session.add(promo)
        session.flush()
        service.push(session, promo, site="hotel", actor=HQ, now=utcnow())
        (code,) = codes.issue(
            session,
            promo,
            secret=SECRET,
            count=1,
            max_uses=5,
            valid_until=ARRIVAL + timedelta(days=1),
            actor=HQ,
            now=utcnow(),
        )
    engine.dispose()
    env = {
        **os.environ,
        "POSADA_DATABASE_URL": db_url,
        "POSADA_MQTT_ENABLED": "false",
        "POSADA_SECRET_KEY": SECRET,
        "POSADA_KEYS_DIR": str(directory / "keys"),
    }
    with running_portal(env, port=free_port(), log_path=directory / "server.log") as url:
        yield url, code


def test_a_guest_opens_a_code_only_offer_on_a_phone_and_books_it(
    offer_site: tuple[str, str], browser: Browser, playwright_: Playwright
) -> None:
    url, code = offer_site
    context = browser.new_context(**playwright_.devices["Pixel 7"], locale="es-ES")
    page = context.new_page()
    stay = f"arrival={ARRIVAL}&departure={ARRIVAL + timedelta(days=2)}"
    page.goto(f"{url}/guest/hotel?lang=es&{stay}")
    expect(page.locator('[data-rate-plan="flex"]').first).to_be_visible()
    expect(page.locator('[data-rate-plan="~vip"]')).to_have_count(0)
    page.fill("#code", "WRONG-CODE1")
    page.click("button[type=submit]")
    expect(page.locator("#offer-refused")).to_contain_text("Este código no se puede usar")
    page.fill("#code", code.lower())
    page.click("button[type=submit]")
    expect(page.locator("#offer-applied")).to_be_visible()
    offer = page.locator('[data-rate-plan="~vip"]')
    expect(offer).to_contain_text("Noche para socios")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "offer-code-es.png"), full_page=True)
    offer.get_by_role("link").click()
    page.fill("#guest_name", "Lucía Gómez")
    page.fill("#guest_email", "lucia.gomez@example.com")
    page.click("button[type=submit]")
    expect(page.locator("#booking")).to_contain_text("Lucía Gómez")
    context.close()
