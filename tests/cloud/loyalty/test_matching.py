"""The pure matching decision: contact first, then name with birth date, else left to merging."""

from __future__ import annotations

import pytest

from cloud.loyalty.matching import Candidate, MatchKind, decide

pytestmark = pytest.mark.unit


def test_an_email_or_phone_match_wins_over_a_name_match() -> None:
    match = decide([Candidate("B", name=True, birth_date=True), Candidate("C", phone=True)])
    assert (match.kind, match.guest_id, match.doubts) == (MatchKind.EXACT, "C", ("B",))


def test_both_contacts_beat_one_and_ties_go_to_the_oldest_profile() -> None:
    assert decide([Candidate("A", email=True), Candidate("B", email=True, phone=True)]).guest_id == "B"
    assert decide([Candidate("D", email=True), Candidate("A", phone=True)]).guest_id == "A"


def test_name_and_birth_date_link_but_a_name_alone_only_raises_a_doubt() -> None:
    assert decide([Candidate("A", name=True, birth_date=True)]).kind is MatchKind.FUZZY
    unsure = decide([Candidate("A", name=True), Candidate("B", name=True)])
    assert (unsure.kind, unsure.guest_id, unsure.doubts) == (MatchKind.UNSURE, None, ("A", "B"))
    assert decide([]).kind is MatchKind.NEW
