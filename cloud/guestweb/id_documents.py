"""Whether an ID document number has the form its country gives it (pure: no I/O).

Checked where the format is public and has a check character: Spain's DNI and NIE (mod-23
letter), China's resident identity card (ISO 7064 MOD 11-2); passports by the ICAO 9303 form
(up to nine letters and digits). Other documents keep the registry's general rule.
"""

from __future__ import annotations

import re

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CN_CHECK = "10X98765432"


def _spanish(number: str) -> bool:
    found = re.fullmatch(r"([XYZ]?)(\d{7,8})([A-Z])", number)
    if found is None:
        return False
    prefix, digits, letter = found.groups()
    if prefix:
        if len(digits) != 7:
            return False
        digits = str("XYZ".index(prefix)) + digits
    elif len(digits) != 8:
        return False
    return DNI_LETTERS[int(digits) % 23] == letter


def _chinese(number: str) -> bool:
    if re.fullmatch(r"\d{17}[\dX]", number) is None:
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], CN_WEIGHTS, strict=True))
    return CN_CHECK[total % 11] == number[17]


def problem(*, kind: str, country: str, number: str) -> str | None:
    """Why ``number`` cannot be a ``kind`` document of ``country``, or None."""
    clean = re.sub(r"[\s-]", "", number).upper()
    if kind == "passport":
        return None if re.fullmatch(r"[A-Z0-9]{5,9}", clean) else "passport"
    if kind in ("national_id", "residence_permit") and country == "ES":
        return None if _spanish(clean) else "es_id"
    if kind == "national_id" and country == "CN":
        return None if _chinese(clean) else "cn_id"
    return None
