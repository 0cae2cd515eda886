from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloud.billing.fonts import FontMissing, find_cjk_font
from cloud.billing.models import Invoice
from cloud.billing.pdf import render_invoice

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane

ISSUER = {"name": "Posada Centro", "address": "Calle Mayor 1", "tax_id": "B-123"}


def _invoice(language: str, kind: str = "invoice") -> Invoice:
    line = {"charge_id": "c1", "kind": "room_night", "description": "豪华大床房 / Suite",
            "discount": False, "quantity": 2, "unit_minor": 50000, "night": "2026-11-24",
            "net_minor": 100000, "tax_minor": 6000, "gross_minor": 106000,
            "taxes": {"VAT": 6000}}
    sign = -1 if kind == "credit_note" else 1
    if sign < 0:
        line = {**line, **{k: -line[k] for k in ("unit_minor", "net_minor", "tax_minor",
                                                  "gross_minor")}, "taxes": {"VAT": -6000}}
    return Invoice(
        id="01INV", series="INV", number=7, kind=kind,
        corrects_id="01ORIG" if sign < 0 else None, folio_id="f", payer="guest",
        bill_to={"name": "王小明 José", "tax_id": "", "corrects_number": "INV-000006"},
        language=language, currency="CNY", net_minor=sign * 100000, tax_minor=sign * 6000,
        total_minor=sign * 106000, lines=[line], taxes={"VAT": sign * 6000},
        issued_at=datetime(2026, 11, 25, tzinfo=UTC),
    )


def _text_of(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_chinese_invoice_shows_chinese_labels_names_and_amounts(tmp_path: Path) -> None:
    pdf = render_invoice(_invoice("zh"), number="INV-000007", issuer=ISSUER,
                         font=find_cjk_font())
    text = _text_of(pdf, tmp_path)
    for expected in ("发票", "INV-000007", "王小明 José", "豪华大床房", "房费", "¥1,060.00"):
        assert expected in text


def test_spanish_credit_note_names_the_invoice_it_corrects(tmp_path: Path) -> None:
    pdf = render_invoice(_invoice("es", "credit_note"), number="CN-000001", issuer=ISSUER,
                         font=find_cjk_font())
    text = _text_of(pdf, tmp_path)
    assert "Nota de crédito" in text and "Rectifica la factura: INV-000006" in text
    assert "Total-1.060,00CNY" in text.replace("\xa0", "").replace(" ", "")


def test_noto_collection_uses_its_simplified_chinese_face(tmp_path: Path) -> None:
    noto = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    choice = find_cjk_font(str(noto))  # Debian fonts-noto-cjk, installed by .ci/run
    assert choice.face == 2
    pdf = render_invoice(_invoice("zh"), number="INV-000007", issuer=ISSUER, font=choice)
    assert "发票" in _text_of(pdf, tmp_path)
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout
    assert b"NotoSansCJKSC" in fonts


def test_a_font_without_latin_letters_is_refused() -> None:
    droid = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
    if droid.is_file():  # Debian fonts-droid-fallback: Chinese only
        with pytest.raises(FontMissing, match="lacks"):
            find_cjk_font(str(droid))
    dejavu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Latin only
    with pytest.raises(FontMissing, match="lacks"):
        find_cjk_font(dejavu)


def test_a_configured_path_that_is_not_a_font_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("x")
    with pytest.raises(FontMissing):
        find_cjk_font(str(bogus))
