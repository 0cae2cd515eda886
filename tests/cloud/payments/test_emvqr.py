from __future__ import annotations

import contextlib
import io

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from cloud.core.money import CURRENCIES, Money
from cloud.payments.emvqr import (
    EmvError,
    MerchantQR,
    build_payload,
    crc16_ccitt_false,
    parse_payload,
    parse_tlv,
)
from cloud.payments.qr_image import qr_png

QR = MerchantQR(scheme_id="com.example.pay", merchant_id="M12345", name="POSADA CENTRO",
                city="MADRID", country="ES", currency="EUR", amount=Money(12345, "EUR"),
                bill_number="INV-000042", reference="R-7")


def test_crc_is_ccitt_false_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_payload_has_the_documented_objects_in_order_and_a_valid_crc() -> None:
    payload = build_payload(QR)
    fields = parse_tlv(payload)
    assert [tag for tag, _ in fields] == ["00", "01", "26", "52", "53", "54", "58", "59", "60",
                                          "62", "63"]
    values = dict(fields)
    assert values["00"] == "01" and values["01"] == "12"
    assert values["26"] == "0015com.example.pay0106M12345"
    assert (values["53"], values["54"]) == ("978", "123.45")
    assert values["62"] == "0110INV-0000420503R-7"
    assert values["63"] == f"{crc16_ccitt_false(payload[:-4].encode()):04X}"


def test_a_qr_without_amount_is_static() -> None:
    payload = build_payload(MerchantQR(scheme_id="x", merchant_id="1", name="N", city="C",
                                       country="MX", currency="MXN"))
    assert dict(parse_tlv(payload))["01"] == "11" and "54" not in dict(parse_tlv(payload))


def test_rendered_png_decodes_back_to_the_payload() -> None:
    payload = build_payload(QR)
    image = Image.open(io.BytesIO(qr_png(payload)))
    [decoded] = zxingcpp.read_barcodes(image)
    assert decoded.text == payload


def test_non_ascii_digits_are_not_a_merchant_category() -> None:
    with pytest.raises(EmvError):
        build_payload(MerchantQR(scheme_id="x", merchant_id="1", name="N", city="C",
                                 country="MX", currency="MXN", merchant_category="701\u0661"))


@pytest.mark.parametrize("bad", [
    "", "6304ABCD", "000201" * 3, "00020101021226", "zz",
])
def test_malformed_payloads_are_refused(bad: str) -> None:
    with pytest.raises(EmvError):
        parse_payload(bad)


printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1)
qrs = st.builds(
    MerchantQR,
    scheme_id=printable.filter(lambda s: len(s) <= 32),
    merchant_id=printable.filter(lambda s: len(s) <= 32),
    name=printable.filter(lambda s: len(s) <= 25),
    city=printable.filter(lambda s: len(s) <= 15),
    country=st.from_regex(r"[A-Z]{2}", fullmatch=True),
    currency=st.just("EUR"),
    merchant_category=st.from_regex(r"[0-9]{4}", fullmatch=True),
    amount=st.none() | st.integers(1, 10**11).map(lambda m: Money(m, "EUR")),
    bill_number=st.none() | printable.filter(lambda s: len(s) <= 25),
    reference=st.none() | printable.filter(lambda s: len(s) <= 25),
    account_tag=st.integers(26, 51).map(str),
)


@given(qrs)
def test_build_then_parse_round_trips(qr: MerchantQR) -> None:
    assert parse_payload(build_payload(qr)) == qr


@given(qrs, st.data())
def test_any_changed_character_is_caught(qr: MerchantQR, data: st.DataObject) -> None:
    payload = build_payload(qr)
    i = data.draw(st.integers(0, len(payload) - 1))
    new = data.draw(st.characters(min_codepoint=0x20, max_codepoint=0x7E).filter(
        lambda c: c != payload[i]))
    with pytest.raises(EmvError):
        parse_payload(payload[:i] + new + payload[i + 1:])


@given(st.text(max_size=200))
def test_parser_only_ever_raises_emv_error(text: str) -> None:
    with contextlib.suppress(EmvError):
        parse_payload(text)


def test_every_known_currency_has_a_numeric_code() -> None:
    assert all(len(numeric) == 3 for _, numeric in CURRENCIES.values())
