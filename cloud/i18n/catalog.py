"""Message catalogs: the committed .po files, compiled in memory when the process starts."""

from __future__ import annotations

import io
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Tag shown to users and in <html lang> -> Babel's locale identifier (and catalog folder).
LANGUAGES: dict[str, str] = {"en": "en", "es": "es", "zh-Hans": "zh_Hans"}
NATIVE_NAMES: dict[str, str] = {"en": "English", "es": "Español", "zh-Hans": "简体中文"}
DEFAULT = "en"


@cache
def translations(tag: str) -> NullTranslations:
    """The gettext catalog for a language tag; English is the source and needs none."""
    ident = LANGUAGES.get(tag)
    if ident is None or tag == DEFAULT:
        return NullTranslations()
    po = LOCALE_DIR / ident / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=ident)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(fp=buffer, domain="messages")


@lru_cache(maxsize=16)
def babel_locale(tag: str) -> Locale:
    return Locale.parse(LANGUAGES.get(tag, DEFAULT))


def negotiate(accept_language: str) -> str:
    """The best supported tag for an Accept-Language header (q-values honoured)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")[:20]):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        ranked.append((-weight, i, tag.strip()))
    for _, _, tag in sorted(ranked):
        match = _match(tag)
        if match:
            return match
    return DEFAULT


def _match(tag: str) -> str | None:
    lowered = tag.lower()
    if lowered.startswith("zh"):
        # Simplified script, or a region that writes it; Traditional regions are not offered.
        return "zh-Hans" if not any(x in lowered for x in ("hant", "-tw", "-hk", "-mo")) else None
    base = lowered.split("-")[0]
    return base if base in LANGUAGES else None
