"""Segments and unsubscribe links, pure: who is in an audience, and which links stop whom."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.marketing.segments import GuestFacts, SegmentRules, audience
from cloud.marketing.unsubscribe import BadUnsubscribe, UnsubscribeSigner

pytestmark = pytest.mark.unit
TODAY = date(2027, 5, 1)
BASE = GuestFacts(
    guest_id="01J00000000000000000000001",
    site="hotel",
    country="ES",
    tier="silver",
    last_stay=date(2027, 3, 1),
    spend_minor=50_000,
    birth_month=5,
    email_ok=True,
    whatsapp_ok=False,
)


def test_every_rule_narrows_and_consent_is_per_channel() -> None:
    everyone = SegmentRules()
    assert audience([BASE], everyone, channel="email", today=TODAY) == [BASE.guest_id]
    assert audience([BASE], everyone, channel="whatsapp", today=TODAY) == []
    for rules in (
        SegmentRules(countries=frozenset({"FR"})),
        SegmentRules(tiers=frozenset({"gold"})),
        SegmentRules(stayed_within_days=30),
        SegmentRules(away_for_days=90),
        SegmentRules(min_spend_minor=50_001),
        SegmentRules(birth_month=6),
        SegmentRules(sites=frozenset({"annex"})),
    ):
        assert audience([BASE], rules, channel="email", today=TODAY) == [], rules
    assert SegmentRules(stayed_within_days=61, away_for_days=60, birth_month=5).matches(BASE, today=TODAY)
    never = replace(BASE, last_stay=None)
    assert not SegmentRules(stayed_within_days=365).matches(never, today=TODAY)


@settings(max_examples=30, deadline=None)
@given(st.booleans(), st.booleans(), st.sampled_from(["email", "whatsapp"]))
def test_no_guest_without_consent_for_the_channel_is_ever_in_an_audience(
    email: bool, whatsapp: bool, channel: str
) -> None:
    guest = replace(BASE, email_ok=email, whatsapp_ok=whatsapp)
    chosen = audience([guest], SegmentRules(), channel=channel, today=TODAY)
    assert bool(chosen) == (email if channel == "email" else whatsapp)


def test_an_unsubscribe_link_stops_only_its_own_guest_and_only_under_its_key() -> None:
    signer = UnsubscribeSigner("secret")
    ref = signer.sign(BASE.guest_id)
    assert signer.verify(ref) == BASE.guest_id
    other = "01J00000000000000000000002"
    for bad in (
        f"{other}.{ref.split('.')[1]}",
        ref[:-1] + ("A" if ref[-1] != "A" else "B"),
        "",
        "x" * 49,
        UnsubscribeSigner("other").sign(BASE.guest_id),
    ):
        with pytest.raises(BadUnsubscribe):
            signer.verify(bad)
