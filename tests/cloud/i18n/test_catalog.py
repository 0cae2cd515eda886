"""Catalogs are complete and current; languages are negotiated; values are formatted per locale."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import strategies as st

from cloud.i18n import formatting
from cloud.i18n.catalog import LANGUAGES, LOCALE_DIR, negotiate, translations

ROOT = Path(__file__).resolve().parents[3]


def _ids(path: Path) -> set[str]:
    with path.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id and isinstance(m.id, str)}


@pytest.mark.slow
def test_committed_template_matches_the_sources(tmp_path: Path) -> None:
    out = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "cloud/i18n/babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(out),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    assert _ids(out) == _ids(ROOT / "cloud/i18n/messages.pot"), "run pybabel extract and update the catalogs"


@pytest.mark.parametrize("ident", ["es", "zh_Hans"])
def test_every_message_is_translated(ident: str) -> None:
    with (LOCALE_DIR / ident / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    expected = _ids(ROOT / "cloud/i18n/messages.pot")
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert expected <= translated, sorted(expected - translated)


def test_translations_are_used() -> None:
    assert translations("es").ugettext("Sign in") == "Iniciar sesión"
    assert translations("zh-Hans").ugettext("Sign in") == "登录"
    assert translations("en").ugettext("Sign in") == "Sign in"


@pytest.mark.parametrize(
    ("header", "tag"),
    [
        ("es-ES,es;q=0.9,en;q=0.8", "es"),
        ("zh-CN,zh;q=0.9", "zh-Hans"),
        ("zh-Hans", "zh-Hans"),
        ("zh-TW", "en"),
        ("fr-FR, de;q=0.5", "en"),
        ("en;q=0.2, es;q=0.8", "es"),
        ("", "en"),
        ("es;q=abc", "en"),
    ],
)
def test_accept_language_is_negotiated(header: str, tag: str) -> None:
    assert negotiate(header) == tag


@given(st.text(max_size=200))
def test_any_accept_language_header_gives_a_supported_language(header: str) -> None:
    assert negotiate(header) in LANGUAGES


def test_money_is_formatted_per_locale_from_minor_units() -> None:
    assert formatting.money(123450, "EUR", tag="en") == "€1,234.50"
    assert formatting.money(123450, "EUR", tag="es") == "1.234,50\xa0€"
    assert formatting.money(123450, "CNY", tag="zh-Hans") == "¥1,234.50"
    assert formatting.money(1500, "JPY", tag="en") == "¥1,500"


def test_instants_are_shown_in_the_property_time_zone() -> None:
    instant = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)
    assert "2 jul 2026" in formatting.when(instant, tag="es", time_zone="Asia/Shanghai")
    assert "6:30:00" in formatting.when(instant, tag="es", time_zone="Asia/Shanghai")
    assert formatting.when(instant, tag="en", time_zone="Europe/Madrid") == "Jul 2, 2026, 12:30:00\u202fAM"
    assert formatting.day(date(2026, 7, 1), tag="zh-Hans") == "2026年7月1日"
