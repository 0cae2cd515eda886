"""Housekeeping on a tablet and maintenance at a desk, in Chromium.

The housekeeping test runs the whole chain: the cloud (its own broker and database) sends the
tablet's ``room.settings`` to a real gateway of floor f1, whose room state comes back over MQTT
and reaches the open page through the live stream.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from cloud.app import create_app
from cloud.auth.accounts import create_staff, ensure_property
from cloud.auth.context import AuthContext
from cloud.auth.roles import Role
from cloud.board.models import RoomStatus
from cloud.core.db import make_engine, make_sessionmaker
from cloud.settings import Settings
from cloud.telemetry.models import Alert, MaintenanceTask, RoomTelemetryLatest
from edge.app import Gateway
from mqtt.envelope import utcnow
from mqtt.messages import RoomSettings
from tests.browser.conftest import PASSWORD, SHOTS, Server
from tests.integration.harness import gateway_config, running_gateway, wait_until
from tests.support.broker import Mosquitto
from tests.support.db import migrated_sqlite
from tests.support.ports import free_port, wait_for_port

pytestmark = pytest.mark.browser
TABLET = {"width": 800, "height": 1280}
ROUND_TRIP_MS = 90_000  # the page waits on the floor's answer: cloud, broker, gateway and back


def sign_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/signin")
    page.get_by_label(re.compile("Username|Usuario|用户名")).fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).not_to_have_url(re.compile(r"/signin"))


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


@dataclass
class Floor:
    url: str
    gateway: Gateway
    database_url: str

    def reported(self, room: str) -> str | None:
        engine = make_engine(self.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                row = session.get(RoomStatus, ("hotel", "f1", room))
                return row.housekeeping if row else None
        finally:
            engine.dispose()


@pytest.fixture
def floor(own_mosquitto: Mosquitto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Floor]:
    """The cloud served on a free port with a housekeeper of ``hotel``, and floor f1's gateway."""
    monkeypatch.setenv("POSADA_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("POSADA_ARGON2_TIME_COST", "1")
    database_url = migrated_sqlite(tmp_path / "cloud.db")
    app = create_app(Settings(database_url=database_url, mqtt_url=own_mosquitto.cloud_url,
                              mqtt_client_id=f"cloud-browser-{os.getpid()}-{time.monotonic_ns()}"))
    ctx: AuthContext = app.services.auth
    with ctx.sessionmaker.begin() as session:
        ensure_property(session, site="hotel", chain="acme", name="Hotel", time_zone="Europe/Madrid")
        create_staff(session, actor="test", passwords=ctx.passwords, username="fang",
                     display_name="Wang Fang", password=PASSWORD, role=Role.HOUSEKEEPING, site="hotel")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn-floors", daemon=True)
    thread.start()
    try:
        wait_for_port(port, timeout=30)
        config = gateway_config(own_mosquitto.gateway_url("hotel", "f1"), tmp_path / "gw", site="hotel",
                                floor="f1", rooms=["101", "102"])
        with running_gateway(config) as gateway:
            yield Floor(f"http://127.0.0.1:{port}", gateway, database_url)
    finally:
        server.should_exit = True
        thread.join(20)


def test_housekeeper_on_a_tablet_marks_a_dirty_room_clean_and_sees_the_floor_confirm(
        browser: Browser, floor: Floor) -> None:
    # Each step crosses the broker, the gateway and the cloud: on a loaded machine it may take
    # tens of seconds, so every one waits on what it needs with a generous deadline.
    wait_until(lambda: floor.reported("101") is not None, timeout=90, what="the cloud holds the rooms")
    ack = floor.gateway.command("room.settings", RoomSettings(room="102", housekeeping="dirty"))
    assert ack is not None and ack.ok  # the guest left: the floor says 102 needs cleaning
    wait_until(lambda: floor.reported("102") == "dirty", timeout=90, what="the cloud hears 102 is dirty")
    context = browser.new_context(locale="en-GB", viewport=TABLET, has_touch=True)
    try:
        page = context.new_page()
        sign_in(page, floor.url, "fang")
        page.get_by_role("link", name="Housekeeping").click()
        expect(page.locator("#live-status")).to_have_text("live", timeout=ROUND_TRIP_MS)
        tile = page.locator("#room-hotel-f1-102")
        expect(tile.locator(".hk-state-name")).to_have_text("dirty")
        counts = tile.locator("xpath=ancestor::section").locator(".hk-counts")
        dirty = int(counts.locator("[data-count=dirty]").inner_text())
        assert dirty >= 1
        expect(tile.get_by_role("button", name="Mark inspected")).to_have_count(0)  # managers inspect
        expect(tile.locator(".hk-dnd")).to_be_hidden()
        expect(tile.locator(".hk-pending")).to_be_hidden()
        shot(page, "housekeeping-tablet-dirty.png")
        tile.get_by_role("button", name="Mark clean").focus()
        page.keyboard.press("Enter")  # keyboard works as well as a tap
        expect(page).to_have_url(re.compile(r"/housekeeping#room-hotel-f1-102$"))
        tile = page.locator("#room-hotel-f1-102")
        expect(tile.locator(".hk-state-name")).to_have_text("clean", timeout=ROUND_TRIP_MS)
        expect(tile.locator(".hk-pending")).to_be_hidden(timeout=ROUND_TRIP_MS)  # the gateway's snapshot came
        wait_until(lambda: floor.reported("102") == "clean", timeout=90, what="the gateway published clean")
        expect(tile.get_by_role("button")).to_have_count(0)  # a clean room: nothing more for housekeeping
        shot(page, "housekeeping-tablet-clean.png")

        expect(counts.locator("[data-count=dirty]")).to_have_text(str(dirty - 1))
        ack = floor.gateway.command("room.settings", RoomSettings(room="102", housekeeping="dirty"))
        assert ack is not None and ack.ok
        expect(tile.locator(".hk-state-name")).to_have_text("dirty", timeout=ROUND_TRIP_MS)  # live, no reload
        expect(counts.locator("[data-count=dirty]")).to_have_text(str(dirty))  # the header too
        button = tile.get_by_role("button", name="Start cleaning")
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 150  # a finger's target
        assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    finally:
        context.close()


def _alarm(database_url: str) -> None:
    """Room 102 of the shared server: readings and an open lock-battery alert with its task."""
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            if session.scalar(select(Alert).where(Alert.subject == "102")) is not None:
                return
            now = utcnow()
            at = now.isoformat()
            readings = {"temperature_c": 23.4, "humidity_pct": 51.0, "lock_battery_v": 2.38,
                        "link_quality_pct": 92.0, "door_open": True, "occupied": False}
            session.add(RoomTelemetryLatest(site="hotel", floor="f1", room="102", updated_at=now, readings={
                k: {"v": v, "at": at, "since": at, "rising": None} for k, v in readings.items()}))
            alert = Alert(kind="lock_battery_low", site="hotel", floor="f1", subject="102",
                          detail="lock battery 2.38 V below 2.50 V", opened_at=now - timedelta(minutes=20),
                          last_seen_at=now, seen=40)
            session.add(alert)
            session.flush()
            session.add(MaintenanceTask(alert_id=alert.id, site="hotel", floor="f1", room="102",
                                        title="Lock battery low: lock battery 2.38 V below 2.50 V",
                                        status="open", created_at=alert.opened_at))
    finally:
        engine.dispose()


def test_maintenance_sees_a_rooms_telemetry_and_open_alert_and_no_guest(browser: Browser,
                                                                        server: Server) -> None:
    _alarm(f"sqlite:///{server.directory / 'cloud.db'}")
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, server.url, "jorge")
        page.get_by_role("link", name="Maintenance").click()
        expect(page.get_by_role("heading", name="Rooms with open alerts")).to_be_visible()
        page.get_by_role("link", name="102").click()
        expect(page.get_by_role("heading", name=re.compile("Room 102"))).to_be_visible()
        expect(page.locator("#reading-temperature_c")).to_contain_text("23.4 °C")
        expect(page.locator("#reading-lock_battery_v")).to_contain_text("2.38 V")
        expect(page.locator("tr.open-alert")).to_contain_text("Lock battery low")
        shot(page, "maintenance-room-102.png")
        page.get_by_role("button", name=re.compile("Acknowledge task")).click()
        expect(page.get_by_role("cell", name="acknowledged")).to_be_visible()
        content = page.content()
        assert "García" not in content and "PA1234567" not in content
        page.goto(f"{server.url}/maintenance")
        expect(page.locator("#alarm-hotel-f1-102")).to_contain_text("Lock battery low")
        shot(page, "maintenance-rooms-in-alarm.png")
        assert "García" not in page.content()
    finally:
        context.close()


def test_the_housekeeping_board_in_chinese_on_a_tablet_names_no_guest(browser: Browser,
                                                                      server: Server) -> None:
    context = browser.new_context(locale="zh-CN", viewport=TABLET, has_touch=True)
    try:
        page = context.new_page()
        sign_in(page, server.url, "fang")
        page.goto(f"{server.url}/housekeeping")
        expect(page.get_by_role("heading", name="客房清洁")).to_be_visible()
        tile = page.locator("#room-hotel-f1-103")
        expect(tile.get_by_role("button", name="标记为已清洁")).to_be_visible()
        expect(tile.get_by_role("button", name="开始清洁")).to_be_visible()
        shot(page, "housekeeping-tablet-zh.png")
        assert "García" not in page.content() and "Ana" not in page.inner_text("main")
    finally:
        context.close()
