from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloud.notify.templates import LANGUAGES, PARAMS, TEXTS, render


@pytest.mark.parametrize("template", sorted(TEXTS))
def test_every_template_exists_in_all_three_languages_with_the_same_values(
    template: str,
) -> None:
    assert set(TEXTS[template]) == set(LANGUAGES)
    for text in TEXTS[template].values():
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
        assert names == set(PARAMS[template])


def test_staff_messages_escape_values_for_telegram_html() -> None:
    text = render("room_vacated", "en", {"room": "<b>1</b>", "floor": "2&3", "at": "10:00"})
    assert "&lt;b&gt;1&lt;/b&gt;" in text.text and "2&amp;3" in text.text


def test_unknown_language_falls_back_to_english_and_missing_values_are_an_error() -> None:
    assert render("payment_reminder", "fr", {"name": "A", "booking": "B", "amount": "C"}
                  ).language == "en"
    with pytest.raises(KeyError):
        render("payment_reminder", "es", {"name": "A"})


@given(st.sampled_from(sorted(TEXTS)), st.sampled_from(LANGUAGES),
       st.text(max_size=40))
def test_any_value_renders_and_is_kept_whole_for_whatsapp_templates(
    template: str, language: str, value: str
) -> None:
    rendered = render(template, language, dict.fromkeys(PARAMS[template], value))
    assert len(rendered.params) == len(PARAMS[template])
