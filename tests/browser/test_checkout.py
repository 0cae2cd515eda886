"""The check-out walk in a real browser: the folio, an extra, cash with change, check-out, and
the invoice PDF downloaded and read back, in English and in Spanish."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from cloud.billing.invoice_texts import LABELS
from tests.browser.conftest import PASSWORD, SHOTS
from tests.browser.desk_server import DeskServer, desk_server
from tests.browser.test_portal import _english_msgids, _untranslated

pytestmark = pytest.mark.browser
WORDS = {  # what the walk clicks and reads, per language
    "en": {"locale": "en-GB", "owes": "The guest owes", "cash": "Take cash", "change": "Change to give",
           "checkout": "Check out", "pdf": "Download PDF", "invoice": "Invoice", "total": "Total",
           "tendered": "Cash tendered", "price": "Unit price before tax", "extra": "Add the charge",
           "item": "Water and snacks", "refused": "The guest still owes"},
    "es": {"locale": "es-ES", "owes": "El huésped debe", "cash": "Cobrar en efectivo",
           "change": "Cambio a devolver", "checkout": "Registrar salida", "pdf": "Descargar PDF",
           "invoice": "Factura", "total": "Total", "tendered": "Efectivo entregado",
           "price": "Precio unitario sin impuestos", "extra": "Añadir el cargo",
           "item": "Agua y aperitivos", "refused": "El huésped aún debe"},
}


@pytest.fixture(scope="module")
def desk() -> Iterator[DeskServer]:
    with desk_server() as server:
        yield server


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_desk_checks_a_guest_out_and_hands_over_the_invoice(
    browser: Browser, desk: DeskServer, lang: str, tmp_path: Path
) -> None:
    words = WORDS[lang]
    ctx = browser.new_context(locale=words["locale"], viewport={"width": 1366, "height": 900},
                              accept_downloads=True)  # a desk PC
    page = ctx.new_page()
    page.goto(f"{desk.url}/signin")
    page.locator("#username").fill("lucia")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.goto(f"{desk.url}/reservations")  # today's departures list links the page
    page.goto(f"{desk.url}/reservations/{desk.stays[lang]}")
    page.locator(f'a[href="/reservations/{desk.stays[lang]}/checkout"]').click()
    expect(page.locator("#folio-lines tbody tr")).to_have_count(1)  # tonight's room night
    msgids = _english_msgids("es") if lang == "es" else []
    _add_minibar(page, words)
    _refused_while_owed(page, words)
    total = page.locator("#guest-balance").inner_text()
    _pay_cash(page, words, total)
    assert _untranslated(page, msgids) == []
    page.get_by_role("button", name=words["checkout"], exact=True).click()
    expect(page.locator("#invoices")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"checkout-done-{lang}.png"), full_page=True)
    assert _untranslated(page, msgids) == []
    with page.expect_download() as info:
        page.get_by_role("link", name=words["pdf"]).click()
    pdf = tmp_path / info.value.suggested_filename
    info.value.save_as(pdf)
    info.value.save_as(SHOTS / f"invoice-{lang}.pdf")
    number = info.value.suggested_filename.removesuffix(".pdf")
    assert re.fullmatch(r"INV-\d{6}", number)
    text = _pdf_text(pdf)
    assert _squeeze(f"{words['invoice']} {number}") in _squeeze(text)
    assert _squeeze(f"{words['total']} {total}") in _squeeze(text)
    if lang != "en":
        english = {v for k, v in LABELS["en"].items() if v != LABELS[lang][k]}
        assert [w for w in english if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)] == []
    page.goto(f"{desk.url}/reservations/{desk.stays[lang]}")  # the stay page keeps the link
    expect(page.get_by_role("link", name=re.compile(number))).to_be_visible()
    ctx.close()


def _add_minibar(page: Page, words: dict[str, str]) -> None:
    page.locator("#extra-kind").select_option("minibar")
    page.locator("#extra-description").fill(words["item"])
    page.locator("#extra-quantity").fill("2")
    page.get_by_label(re.compile(words["price"])).fill("3.25")
    page.get_by_role("button", name=words["extra"]).click()
    expect(page.locator("#folio-lines tbody tr")).to_have_count(2)
    expect(page.locator("#folio-lines")).to_contain_text(words["item"])


def _refused_while_owed(page: Page, words: dict[str, str]) -> None:
    page.get_by_role("button", name=words["checkout"], exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(words["refused"])


def _pay_cash(page: Page, words: dict[str, str], total: str) -> None:
    page.screenshot(path=str(SHOTS / f"checkout-folio-{page.locator('html').get_attribute('lang')}.png"),
                    full_page=True)
    page.get_by_label(re.compile(words["tendered"])).fill("500")
    page.get_by_label(re.compile(words["tendered"])).press("Enter")  # keyboard only
    expect(page.locator("#change")).to_contain_text(words["change"])
    expect(page.locator("#guest-balance")).not_to_contain_text(total)
    page.screenshot(path=str(SHOTS / f"checkout-paid-{page.locator('html').get_attribute('lang')}.png"),
                    full_page=True)
