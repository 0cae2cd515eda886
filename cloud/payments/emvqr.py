"""EMVCo merchant-presented QR payloads (MPM), pure: build, parse, CRC.

Each data object is ID (2 digits) + length (2 digits) + value. We write: 00 payload format
"01"; 01 initiation method ("11" static, "12" dynamic: with an amount); one merchant account
template in 26..51 (sub-tag 00 the scheme's globally unique id, 01 the merchant's id); 52
merchant category; 53 currency (ISO 4217 numeric); 54 amount; 58 country; 59 name; 60 city;
62 additional data (01 bill number, 05 reference label); 63 the CRC: CRC-16/CCITT-FALSE
(poly 0x1021, init 0xFFFF) over the whole payload up to and including "6304", 4 hex digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cloud.core.money import CURRENCIES, Money, MoneyError, numeric_code

ANS = re.compile(r"[\x20-\x7e]*")
_BY_NUMERIC = {numeric: code for code, (_, numeric) in CURRENCIES.items()}


class EmvError(ValueError):
    """A payload that is not a valid merchant-presented QR."""


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def encode_tlv(fields: list[tuple[str, str]]) -> str:
    out = []
    for tag, value in fields:
        if not re.fullmatch(r"[0-9]{2}", tag) or not 0 < len(value) <= 99:
            raise EmvError(f"tag {tag!r} with a value of {len(value)} characters")
        if not ANS.fullmatch(value):
            raise EmvError(f"tag {tag} holds characters outside printable ASCII")
        out.append(f"{tag}{len(value):02d}{value}")
    return "".join(out)


def parse_tlv(text: str) -> list[tuple[str, str]]:
    fields, i = [], 0
    while i < len(text):
        head = text[i : i + 4]
        if len(head) < 4 or not head.isdigit() or not head.isascii():
            raise EmvError(f"bad data object header at {i}")
        size = int(head[2:])
        value = text[i + 4 : i + 4 + size]
        if size == 0 or len(value) != size:
            raise EmvError(f"tag {head[:2]} claims {size} characters")
        fields.append((head[:2], value))
        i += 4 + size
    return fields


@dataclass(frozen=True, slots=True)
class MerchantQR:
    scheme_id: str  # globally unique identifier of the payment scheme (sub-tag 00)
    merchant_id: str
    name: str
    city: str
    country: str
    currency: str
    merchant_category: str = "7011"
    amount: Money | None = None
    bill_number: str | None = None
    reference: str | None = None
    account_tag: str = "26"


def build_payload(qr: MerchantQR) -> str:
    """The QR text, ending with its CRC."""
    _check(qr)
    account = encode_tlv([("00", qr.scheme_id), ("01", qr.merchant_id)])
    fields = [("00", "01"), ("01", "12" if qr.amount else "11"), (qr.account_tag, account),
              ("52", qr.merchant_category), ("53", numeric_code(qr.currency))]
    if qr.amount is not None:
        fields.append(("54", qr.amount.decimal_text()))
    fields += [("58", qr.country), ("59", qr.name), ("60", qr.city)]
    extra = [(t, v) for t, v in (("01", qr.bill_number), ("05", qr.reference)) if v]
    if extra:
        fields.append(("62", encode_tlv(extra)))
    body = encode_tlv(fields) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def _check(qr: MerchantQR) -> None:
    if not (26 <= int(qr.account_tag) <= 51):
        raise EmvError("merchant account information lives in tags 26..51")
    if not re.fullmatch(r"[0-9]{4}", qr.merchant_category):
        raise EmvError("merchant category code is 4 digits")
    if not re.fullmatch(r"[A-Z]{2}", qr.country):
        raise EmvError("country is ISO 3166-1 alpha-2")
    if not 0 < len(qr.name) <= 25 or not 0 < len(qr.city) <= 15:
        raise EmvError("merchant name is 1..25 characters and city 1..15")
    if qr.amount is not None:
        if qr.amount.currency != qr.currency or qr.amount.minor <= 0:
            raise EmvError("the amount must be positive and in the QR's currency")
        if len(qr.amount.decimal_text()) > 13:
            raise EmvError("the amount has more than 13 characters")


def parse_payload(text: str) -> MerchantQR:
    """Validate the CRC and the mandatory objects, and read the payload back."""
    if len(text) < 8 or text[-8:-4] != "6304":
        raise EmvError("the payload must end with the CRC object 63")
    if not text.isascii() or f"{crc16_ccitt_false(text[:-4].encode()):04X}" != text[-4:].upper():
        raise EmvError("CRC mismatch")
    fields = dict(parse_tlv(text[:-8]))
    if fields.get("00") != "01" or fields.get("01") not in ("11", "12"):
        raise EmvError("payload format indicator or initiation method missing")
    accounts = [tag for tag in fields if 26 <= int(tag) <= 51]
    if len(accounts) != 1:
        raise EmvError("exactly one merchant account template (26..51) is expected")
    account = dict(parse_tlv(fields[accounts[0]]))
    extra = dict(parse_tlv(fields["62"])) if "62" in fields else {}
    if "54" in fields and not re.fullmatch(r"[0-9]{1,10}(\.[0-9]{1,3})?", fields["54"]):
        raise EmvError("the amount must be digits with an optional decimal point")
    try:
        currency = _BY_NUMERIC[fields["53"]]
        amount = Money.parse(fields["54"], currency) if "54" in fields else None
        qr = MerchantQR(
            scheme_id=account["00"], merchant_id=account["01"], name=fields["59"],
            city=fields["60"], country=fields["58"], currency=currency,
            merchant_category=fields["52"], amount=amount, bill_number=extra.get("01"),
            reference=extra.get("05"), account_tag=accounts[0],
        )
    except (KeyError, MoneyError) as exc:
        raise EmvError(f"missing or bad data object: {exc}") from None
    _check(qr)
    return qr
