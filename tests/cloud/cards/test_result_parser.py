"""A desk agent's result and a job sent to an agent are outside input: any JSON is either a
consistent value or a validation error, never a crash."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from cloud.cards.schemas import ResultIn
from edge.desk.client import Job

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30))
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
result_like = st.fixed_dictionaries(
    {},
    optional={
        "ok": st.one_of(st.booleans(), values),
        "uid": st.one_of(st.text("0123456789abcdefABCDEF", max_size=22), values),
        "reason": st.one_of(st.sampled_from(["no_tag", "write_failed", "verify_mismatch", "bogus"]), values),
        "detail": st.one_of(st.text(max_size=220), values),
        "extra": values,
    },
)


@given(st.one_of(result_like, values))
def test_any_result_is_consistent_or_refused(body: Any) -> None:
    try:
        parsed = ResultIn.model_validate_json(json.dumps(body))
    except ValidationError:
        return
    assert (parsed.uid is not None) == parsed.ok and (parsed.reason is None) == parsed.ok
    assert parsed.uid is None or len(parsed.uid) in (8, 14, 20)
    assert (len(parsed.detail) <= 200 and parsed.detail.isprintable()) or parsed.detail == ""


@given(
    st.fixed_dictionaries(
        {},
        optional={
            "id": values,
            "credential_id": values,
            "card": values,
            "room": values,
            "guest": values,
            "result_by": values,
        },
    )
)
def test_any_job_is_valid_or_refused(body: Any) -> None:
    try:
        job = Job.model_validate_json(json.dumps(body))
    except ValidationError:
        return
    assert 1 <= job.guest <= 255 and len(job.credential_id) == 16
    job.card_bytes()  # decodes or gives b"" (which check_card then refuses)
