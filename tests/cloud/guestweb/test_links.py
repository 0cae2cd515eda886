"""Signed guest links, the per-address allowance and the hotel's email texts: pure, fast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.guestweb.email_texts import EmailText, TemplateRefused, check, render
from cloud.guestweb.links import BadLink, LinkSigner
from cloud.guestweb.rate_limit import RateLimiter

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
RID = "01JD0000000000000000000000"


def test_a_link_grants_its_purpose_for_its_booking_until_it_expires() -> None:
    signer = LinkSigner("s" * 32)
    ref = signer.sign(purpose="stay", reservation_id=RID, expires_at=NOW + timedelta(days=1))
    assert signer.verify(ref, purpose="stay", now=NOW).reservation_id == RID
    assert RID not in ref
    with pytest.raises(BadLink, match="something else"):
        signer.verify(ref, purpose="precheckin", now=NOW)
    with pytest.raises(BadLink, match="expired"):
        signer.verify(ref, purpose="stay", now=NOW + timedelta(days=2))
    with pytest.raises(BadLink):
        LinkSigner("t" * 32).verify(ref, purpose="stay", now=NOW)


@settings(max_examples=60)
@given(st.text(max_size=120))
def test_any_other_text_is_refused_as_a_link(text: str) -> None:
    with pytest.raises(BadLink):
        LinkSigner("s" * 32).verify(text, purpose="stay", now=NOW)


@settings(max_examples=60)
@given(st.integers(min_value=0, max_value=200), st.integers(min_value=0, max_value=7))
def test_a_changed_character_breaks_the_link(position: int, bit: int) -> None:
    signer = LinkSigner("s" * 32)
    ref = signer.sign(purpose="stay", reservation_id=RID, expires_at=NOW + timedelta(days=1))
    i = position % len(ref)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    changed = ref[:i] + alphabet[(alphabet.index(ref[i]) + 1 + bit) % len(alphabet)] + ref[i + 1:]
    if changed != ref:
        with pytest.raises(BadLink):
            signer.verify(changed, purpose="stay", now=NOW)


def test_an_address_gets_its_allowance_then_waits() -> None:
    limiter = RateLimiter()
    assert all(limiter.allow("1.2.3.4", "book", per_window=3, window_s=60, now=0) for _ in range(3))
    assert not limiter.allow("1.2.3.4", "book", per_window=3, window_s=60, now=1)
    assert limiter.allow("5.6.7.8", "book", per_window=3, window_s=60, now=1)  # others are not affected
    assert limiter.allow("1.2.3.4", "book", per_window=3, window_s=60, now=21)  # a token back each 20 s


def test_a_hotel_text_may_use_only_the_emails_placeholders() -> None:
    check("booking_confirmed", "Hola {name}, {link}")
    for bad in ("{name.__class__}", "{secret}", "{name!r}", "{name:>99999}", "{"):
        with pytest.raises(TemplateRefused):
            check("booking_confirmed", bad)
    done = render(EmailText("Hi {name}", "See {link}"), {"name": "{link}", "link": "x"}, "stay_invoice")
    assert done == EmailText("Hi {link}", "See x")  # a value is never read again as a template


def test_every_single_character_change_is_refused() -> None:
    signer = LinkSigner("s" * 32)
    ref = signer.sign(purpose="stay", reservation_id=RID, expires_at=NOW + timedelta(days=1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
    for i, kept in enumerate(ref):
        for other in alphabet.replace(kept, ""):
            with pytest.raises(BadLink):
                signer.verify(ref[:i] + other + ref[i + 1:], purpose="stay", now=NOW)
