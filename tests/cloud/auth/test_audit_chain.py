"""An entry's hashed bytes are the definition's (``json.dumps``, sorted keys, no spaces) whichever
encoder writes them: orjson for plain values, ``json.dumps`` for the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.auth.audit_chain import FIELDS, canonical, canonical_json

TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=12)  # lone surrogates: ODD
KEYS = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=6)
LEAVES = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | TEXT
          | st.floats(allow_nan=True, allow_infinity=True))
VALUES = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(KEYS | st.integers(0, 9).map(str), inner, max_size=4), max_leaves=20)
ODD = ["\ud800", "a\udfffb", 2**64, -(2**63) - 1, 2**63, 1e-05, 1e16, 0.1, -0.0, float("nan"), float("inf"),
       5e-324, "\x00\x1f\x7f\u2028\u2029\"\\/", "é😀", True, None, [1.5], {"😀": 1, "\uffff": 2, "z": 3},
       {"\udc00": 1}, (1, 2)]


def _plain(value: Any) -> dict[str, Any]:
    return {name: value for name in FIELDS} | {"seq": 1, "at": "2026-12-05T01:00:00.000000Z"}


def _expected(content: dict[str, Any]) -> bytes | type[Exception]:
    """The definition's bytes, or the error it meets (text that is no UTF-8: a lone surrogate)."""
    fields = {name: content.get(name) for name in FIELDS}
    if isinstance(fields["at"], datetime):
        fields["at"] = fields["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    try:
        return canonical_json(fields)
    except ValueError as exc:
        return type(exc)


def _written(content: dict[str, Any]) -> bytes | type[Exception]:
    try:
        return canonical(content)
    except ValueError as exc:
        return type(exc)


@settings(max_examples=400, deadline=None)
@given(detail=VALUES, actor=TEXT)
def test_any_detail_hashes_the_bytes_of_the_definition(detail: Any, actor: str) -> None:
    content = {**_plain(None), "detail": detail, "actor": actor}
    assert _written(content) == _expected(content)


def test_odd_values_hash_the_bytes_of_the_definition() -> None:
    for value in ODD:
        for content in (_plain(value), {**_plain(None), "detail": {"v": value, "w": [value, {"x": value}]}}):
            assert _written(content) == _expected(content), value


def test_an_instant_is_written_in_utc_microseconds() -> None:
    at = datetime(2026, 12, 5, 2, 3, 4, 56, tzinfo=timezone(timedelta(hours=1)))
    written = canonical({"seq": 3, "at": at, "detail": {"after": {"total_minor": 100}}})
    assert b'"at":"2026-12-05T01:03:04.000056Z"' in written
    assert written == _expected({"seq": 3, "at": at, "detail": {"after": {"total_minor": 100}}})
