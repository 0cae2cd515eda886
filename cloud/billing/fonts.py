"""Finding a Unicode font that covers Latin and Chinese for invoice PDFs."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTCollection, TTFont

# Debian packages whose fonts carry Latin and Chinese glyphs alike: fonts-wqy-microhei (an
# invoice renders in ~0.8 s), fonts-noto-cjk (~2 s: a 19 MB collection to parse),
# fonts-wqy-zenhei. (fonts-droid-fallback has no Latin letters, so it is no candidate.)
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")


class FontMissing(RuntimeError):
    """No usable CJK font: install fonts-noto-cjk or set POSADA_BILLING_INVOICE_FONT."""


@dataclass(frozen=True, slots=True)
class FontChoice:
    path: Path
    face: int = 0  # the face inside a collection (.ttc/.otc)


def find_cjk_font(configured: str | None = None) -> FontChoice:
    """The configured font, else a known Debian path, else what fontconfig offers for zh-cn."""
    if configured:
        path = Path(configured)
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            raise FontMissing(f"POSADA_BILLING_INVOICE_FONT={configured} is not a font file")
        choice = FontChoice(path, simplified_chinese_face(path))
        if not covers(choice):
            raise FontMissing(f"{configured} lacks Latin or Chinese letters")
        return choice
    paths = [Path(c) for c in CANDIDATES if Path(c).is_file()]
    paths += [p for p in [_fontconfig_match()] if p is not None]
    for path in paths:
        choice = FontChoice(path, simplified_chinese_face(path))
        if covers(choice):
            return choice
    raise FontMissing(
        "no font with Latin and Chinese glyphs found; install fonts-wqy-microhei or "
        "fonts-noto-cjk, or set POSADA_BILLING_INVOICE_FONT"
    )


SAMPLE = "AZaz0€ñé发票房费合计"


def covers(choice: FontChoice) -> bool:
    """Whether the face draws what invoices print: Latin, accents, euro sign, Chinese."""
    try:
        font = TTFont(str(choice.path), fontNumber=choice.face, lazy=True)
        cmap = font.getBestCmap() or {}
    except Exception:  # fontTools raises many types on a broken file
        return False
    return all(ord(ch) in cmap for ch in SAMPLE)


def simplified_chinese_face(path: Path) -> int:
    """In a collection, the Simplified Chinese face (Noto's "... CJK SC"), else the first."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    collection = TTCollection(str(path), lazy=True)
    for index, face in enumerate(collection.fonts):
        if str(face["name"].getDebugName(1) or "").endswith(" SC"):
            return index
    return 0


def _fontconfig_match() -> Path | None:
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    result = subprocess.run(
        [fc_match, "--format=%{file}", ":lang=zh-cn"],
        capture_output=True, text=True, timeout=10, check=False,
    )
    path = Path(result.stdout.strip())
    if result.returncode != 0 or path.suffix.lower() not in SUFFIXES or not path.is_file():
        return None
    return path
