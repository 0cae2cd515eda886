
"""Reading a guest's chat message (pure): one service type named, its quantity; anything else asks for
nothing, and no text makes it fail."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.operations.requests.message_intent import Intent, read_intent

TYPES = [
    ("towels", {"en": "Towels", "es": "Toallas", "zh": "毛巾"}),
    ("club-sandwich", {"en": "Club sandwich", "es": "Sándwich club", "zh": "总汇三明治"}),
    ("taxi", {"en": "Taxi", "es": "Taxi", "zh": "出租车"}),
]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Could I have 2 towels please?", Intent("towels", 2)),
        ("TOALLAS x3 por favor", Intent("towels", 3)),
        ("请再给我 2 条毛巾", Intent("towels", 2)),
        ("a club sandwich to room 204", Intent("club-sandwich", 1)),
        ("Un taxi a las 8", Intent("taxi", 1)),
        ("毛巾 3", Intent("towels", 3)),
        ("towels and a taxi", None),  # two services: a person answers
        ("hello", None),
        ("", None),
        ("towelsss", None),  # whole words only
        ("clubsandwich", None),
    ],
)
def test_a_message_names_one_service_and_how_many(text: str, intent: Intent | None) -> None:
    assert read_intent(text, TYPES) == intent


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_reads_as_one_intent_or_none(text: str) -> None:
    found = read_intent(text, TYPES)
    assert found is None or (found.type_code in {c for c, _ in TYPES} and 1 <= found.quantity <= 99)
