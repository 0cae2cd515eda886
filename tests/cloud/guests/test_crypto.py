import base64
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.guests.crypto import (
    DecryptError,
    FieldCipher,
    KeyConfigError,
    keys_from,
    name_tokens,
    normalize_email,
    normalize_phone,
)
from cloud.guests.settings import GuestSettings

CIPHER = FieldCipher({"k1": os.urandom(32)}, "k1")


@given(st.text(max_size=500), st.text(min_size=1, max_size=60))
def test_encrypted_fields_round_trip(plaintext: str, context: str) -> None:
    assert CIPHER.decrypt(CIPHER.encrypt(plaintext, context=context), context=context) == plaintext


def test_ciphertext_moved_to_another_row_or_field_is_refused() -> None:
    token = CIPHER.encrypt("ana@example.com", context="guests:A:email")
    with pytest.raises(DecryptError):
        CIPHER.decrypt(token, context="guests:B:email")
    with pytest.raises(DecryptError):
        CIPHER.decrypt(token, context="guests:A:phone")


@given(st.binary(min_size=1, max_size=80))
def test_corrupt_ciphertext_is_an_error_not_a_crash(garbage: bytes) -> None:
    with pytest.raises(DecryptError):
        CIPHER.decrypt("k1:" + base64.urlsafe_b64encode(garbage).decode(), context="c")


def test_same_plaintext_encrypts_differently_each_time() -> None:
    assert CIPHER.encrypt("x", context="c") != CIPHER.encrypt("x", context="c")


def test_old_key_still_decrypts_after_rotation_and_new_data_uses_the_new_key() -> None:
    k1, k2 = base64.b64encode(os.urandom(32)).decode(), base64.b64encode(os.urandom(32)).decode()
    old, _ = keys_from(GuestSettings(guest_keys=f"k1={k1}"))
    token = old.encrypt("secret", context="c")
    new, _ = keys_from(GuestSettings(guest_keys=f"k1={k1},k2={k2}", guest_active_key="k2"))
    assert new.decrypt(token, context="c") == "secret"
    assert new.key_id(new.encrypt("secret", context="c")) == "k2"
    retired, _ = keys_from(GuestSettings(guest_keys=f"k2={k2}"))
    with pytest.raises(DecryptError, match="not configured"):
        retired.decrypt(token, context="c")


@pytest.mark.parametrize(
    "keys, active",
    [
        ("k1=notbase64!", ""),
        ("k1=" + base64.b64encode(b"short").decode(), ""),
        ("bad id=" + base64.b64encode(bytes(32)).decode(), ""),
        ("k1=" + base64.b64encode(bytes(32)).decode(), "k9"),
    ],
)
def test_misconfigured_keys_are_refused_with_a_reason(keys: str, active: str) -> None:
    with pytest.raises(KeyConfigError):
        keys_from(GuestSettings(guest_keys=keys, guest_active_key=active))


def test_blind_index_normalizes_case_accents_and_phone_punctuation() -> None:
    assert normalize_email(" Ana@Example.COM ") == normalize_email("ana@example.com")
    assert normalize_phone("+34 600-111 222") == normalize_phone("+34600111222")
    assert name_tokens("José  GARCÍA-lópez") == {"jose", "garcia", "lopez"}
    assert name_tokens("王小明") == {"王小明"}
