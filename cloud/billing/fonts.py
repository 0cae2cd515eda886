"""Finding a Unicode font that covers Latin and Chinese for invoice PDFs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# Debian packages, lightest first: fonts-wqy-microhei, fonts-droid-fallback, fonts-noto-cjk.
CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")


class FontMissing(RuntimeError):
    """No usable CJK font: install fonts-wqy-microhei or set POSADA_BILLING_INVOICE_FONT."""


def find_cjk_font(configured: str | None = None) -> Path:
    """The configured font, else a known Debian path, else what fontconfig offers for zh-cn."""
    if configured:
        path = Path(configured)
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            raise FontMissing(f"POSADA_BILLING_INVOICE_FONT={configured} is not a font file")
        return path
    for candidate in CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    found = _fontconfig_match()
    if found is None:
        raise FontMissing(
            "no font with Chinese glyphs found; install fonts-wqy-microhei "
            "or set POSADA_BILLING_INVOICE_FONT"
        )
    return found


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
