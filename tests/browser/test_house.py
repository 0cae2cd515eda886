"""Running the house in Chromium, one journey per role: the housekeeper on a tablet, the spa
attendant in Spanish, the storekeeper in Chinese, the manager at the desk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from cloud.guestweb.links import LinkSigner
from tests.browser.conftest import PASSWORD, SHOTS
from tests.browser.house_server import HouseServer, house_server, next_free_hour

pytestmark = pytest.mark.browser
TABLET = {"width": 800, "height": 1280}
DESK = {"width": 1366, "height": 900}


@pytest.fixture(scope="module", name="house")
def _house() -> Iterator[HouseServer]:
    with house_server() as server:
        yield server


def _sign_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/signin")
    page.get_by_label(re.compile("Username|Usuario|用户名")).fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    expect(page).not_to_have_url(re.compile(r"/signin"))


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def test_the_housekeeper_takes_and_finishes_a_guest_request_on_a_tablet(
    browser: Browser, house: HouseServer
) -> None:
    context = browser.new_context(locale="en-GB", viewport=TABLET, has_touch=True)
    try:
        page = context.new_page()
        _sign_in(page, house.url, "fang")
        page.get_by_role("link", name="Requests").click()
        page.get_by_role("navigation", name="Departments").get_by_role("link", name="Housekeeping").click()
        row = page.locator("tr", has_text="Towels")
        expect(row).to_contain_text("New")
        row.get_by_role("button", name="Accept").click()
        row = page.locator("tr", has_text="Towels")
        expect(row).to_contain_text("Accepted")
        expect(row).to_contain_text("fang")
        _shot(page, "house-requests-tablet-en.png")
        row.get_by_role("button", name="Done").click()
        expect(page.get_by_text("No open requests.")).to_be_visible()
        page.goto(f"{house.url}/housekeeping/tasks")
        task = page.locator("tr[data-task='102-departure']")
        task.get_by_role("button", name="Start").click()
        expect(page.locator("tr[data-task='102-departure']")).to_have_attribute("data-state", "started")
        _shot(page, "house-tasks-tablet-en.png")
        page.locator("tr[data-task='102-departure']").get_by_role("button", name="Done").click()
        expect(page.locator("tr[data-task='102-departure']")).to_have_attribute("data-state", "done")
    finally:
        context.close()


def test_the_spa_attendant_books_a_massage_and_is_refused_a_double_booking_in_spanish(
    browser: Browser, house: HouseServer
) -> None:
    local = datetime.now(ZoneInfo("Europe/Madrid"))
    hour, ahead = next_free_hour(local.hour)
    day = (local + ahead).date().isoformat()
    context = browser.new_context(locale="es-ES", viewport=DESK)
    try:
        page = context.new_page()
        _sign_in(page, house.url, "amaia")  # the spa attendant lands on the facilities
        expect(page).to_have_url(re.compile(r"/operations/facilities"))
        expect(page.get_by_role("heading", name="Sala de masajes")).to_be_visible()
        for attempt in range(2):
            page.get_by_label("Reserva", exact=True).fill(house.stay)
            page.get_by_label("Fecha").last.fill(day)
            page.get_by_label("Desde").fill(f"{hour:02d}:00")
            page.get_by_label("Hasta").fill(f"{hour + 1:02d}:00")
            page.get_by_role("button", name="Reservar", exact=True).click()
            if attempt == 0:
                expect(page).to_have_url(re.compile(rf"/operations/facilities\?day={day}"))
                expect(page.locator("[data-facility='massage-1'] tbody tr")).to_have_count(1)
        expect(page.get_by_role("alert")).to_contain_text("ya está completo")
        _shot(page, "house-facilities-es.png")
    finally:
        context.close()


def test_the_storekeeper_records_minibar_use_and_receives_the_order_it_raised_in_chinese(
    browser: Browser, house: HouseServer
) -> None:
    context = browser.new_context(locale="zh-CN", viewport=DESK)
    try:
        page = context.new_page()
        _sign_in(page, house.url, "tomas")  # the storekeeper lands on the store
        expect(page).to_have_url(re.compile(r"/operations/inventory"))
        row = page.locator("tr[data-sku='water-50']")
        expect(row.locator(".on-hand")).to_have_text("11")
        row.get_by_label("移动").select_option("wasted")
        row.get_by_label("数量").fill("500")
        row.get_by_role("button", name="记录").click()
        expect(page.get_by_role("alert")).to_contain_text("库存不足")  # more than is on hand: refused
        row = page.locator("tr[data-sku='water-50']")
        expect(row.locator(".on-hand")).to_have_text("11")
        row.get_by_label("移动").select_option("consumed")
        row.get_by_label("数量").fill("2")
        row.get_by_label("预订").fill(house.stay)
        row.get_by_role("button", name="记录").click()
        expect(page.locator("tr[data-sku='water-50'] .on-hand")).to_have_text("9")
        order = page.locator("#orders tbody tr").first
        expect(order).to_contain_text("Aguas del Sur")
        expect(order).to_contain_text("已发送")
        _shot(page, "house-inventory-zh.png")
        order.get_by_role("button", name="收货").click()
        expect(page.locator("tr[data-sku='water-50'] .on-hand")).to_have_text("57")
    finally:
        context.close()


def test_the_manager_asks_for_a_guest_from_the_desk_and_cancels_it(
    browser: Browser, house: HouseServer
) -> None:
    context = browser.new_context(locale="en-GB", viewport=DESK)
    try:
        page = context.new_page()
        _sign_in(page, house.url, "marta")
        page.goto(f"{house.url}/operations/requests")
        page.get_by_label("Room").last.fill("204")
        page.get_by_label("Note").fill("Two extra pillows")
        page.get_by_role("button", name="Ask", exact=True).click()
        row = page.locator("tr", has_text="Two extra pillows")
        expect(row).to_contain_text("204")
        _shot(page, "house-requests-desk-en.png")
        row.get_by_role("button", name="Cancel").click()
        expect(page.locator("tr", has_text="Two extra pillows")).to_have_count(0)
        page.get_by_role("link", name="Attendance").click()
        expect(page.locator("tr[data-person='fang']")).to_contain_text("2:00")
        _shot(page, "house-attendance-en.png")
    finally:
        context.close()


def test_the_guest_asks_for_towels_from_the_phone_page_in_chinese(
    browser: Browser, house: HouseServer
) -> None:
    ref = LinkSigner(house.secret).sign(
        purpose="stay", reservation_id=house.stay, expires_at=datetime.now(UTC) + timedelta(days=1)
    )
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{house.url}/guest/hotel/stay/{ref}/requests?lang=zh-Hans")
        page.get_by_label("服务").select_option("towels")
        page.get_by_role("button", name="提交").click()
        expect(page.locator("li[data-state='new']").last).to_contain_text("毛巾")  # after the seeded one
        _shot(page, "house-guest-requests-zh.png")
        page.goto(f"{house.url}/guest/hotel/stay/{ref}/facilities?lang=zh-Hans")
        local = datetime.now(ZoneInfo("Europe/Madrid"))
        page.get_by_label("日期").fill(local.date().isoformat())
        page.get_by_label("起始").fill("00:00")
        if local.hour >= 1:  # today's first slot is over: refused
            page.get_by_label("至").fill("01:00")
            refused = "该时段已经结束"
        else:  # the stay began today and no slot of it is over yet: refused for its length instead
            page.get_by_label("至").fill("00:30")
            refused = "预约时长必须是整数个时段"
        page.get_by_role("button", name="预订").click()
        expect(page.get_by_role("alert")).to_contain_text(refused)
        _shot(page, "house-guest-facilities-zh.png")
    finally:
        context.close()


def test_the_manager_reads_a_long_stays_bills_and_arrears_and_logs_a_parcel_in_spanish(
    browser: Browser, house: HouseServer
) -> None:
    context = browser.new_context(locale="es-ES", viewport=DESK)
    try:
        page = context.new_page()
        _sign_in(page, house.url, "marta")
        page.get_by_role("link", name="Estancias largas").click()
        row = page.locator(f"tr[data-reservation='{house.long_stay}']")
        expect(row).to_contain_text("Greta Lind")
        row.get_by_role("link", name="Greta Lind").click()
        expect(page.get_by_role("heading", name=re.compile("Estancia larga"))).to_be_visible()
        bills = page.locator("#bills tbody tr")
        expect(bills).to_have_count(1)
        expect(bills.first).to_contain_text("1.200,00")  # the first month's rent, billed on arrival
        expect(page.locator("#balance")).not_to_have_text("0,00 €")
        page.get_by_label("Transportista").fill("Correos")
        page.get_by_label("Descripción").fill("Caja pequeña")
        page.get_by_role("button", name="Registrar el paquete").click()
        expect(page.locator("#parcels")).to_contain_text("Esperando en recepción")
        page.get_by_label("Lectura").fill("900")  # lower than the last reading: refused, nothing kept
        page.get_by_label("Fecha").last.fill((datetime.now(UTC) + timedelta(days=2)).date().isoformat())
        page.get_by_role("button", name="Registrar la lectura").click()
        expect(page.get_by_role("alert")).to_contain_text("no menor")
        _shot(page, "house-long-stay-es.png")
    finally:
        context.close()
