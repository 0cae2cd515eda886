"""One Idempotency-Key store for every area: the first answer is replayed, a reused key refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.errors import Conflict
from cloud.core.idempotency import (
    IdempotencyKeyReused,
    IdempotentRequest,
    MissingIdempotencyKey,
    check_key,
    idempotent,
    purge,
)

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)


class SoldOut(Conflict):
    pass


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    IdempotentRequest.__table__.create(engine)  # type: ignore[attr-defined]
    return make_sessionmaker(engine)


def test_a_retry_gets_the_first_answer_and_the_work_runs_once(sessions: sessionmaker[Session]) -> None:
    runs: list[int] = []

    def work(_session: Session) -> tuple[int, dict[str, int]]:
        runs.append(1)
        return 201, {"n": len(runs)}

    first = idempotent(sessions, scope="folio", key="k1", payload={"a": 1}, work=work, clock=lambda: NOW)
    again = idempotent(sessions, scope="folio", key="k1", payload={"a": 1}, work=work, clock=lambda: NOW)
    assert first == again == (201, {"n": 1}) and len(runs) == 1


def test_the_same_key_for_another_request_is_refused(sessions: sessionmaker[Session]) -> None:
    idempotent(sessions, scope="folio", key="k1", payload={"a": 1}, work=lambda s: (201, {}))
    with pytest.raises(IdempotencyKeyReused):
        idempotent(sessions, scope="folio", key="k1", payload={"a": 2}, work=lambda s: (201, {}))
    # the same key in another scope is another request
    other = idempotent(sessions, scope="stay", key="k1", payload={"a": 2}, work=lambda s: (200, {}))
    assert other == (200, {})


def test_failed_work_stores_nothing(sessions: sessionmaker[Session]) -> None:
    def fails(session: Session) -> tuple[int, dict[str, int]]:
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        idempotent(sessions, scope="folio", key="k2", payload={}, work=fails)
    assert idempotent(sessions, scope="folio", key="k2", payload={}, work=lambda s: (201, {})) == (201, {})


def test_old_answers_are_purged(sessions: sessionmaker[Session]) -> None:
    idempotent(sessions, scope="folio", key="old", payload={}, work=lambda s: (201, {}),
               clock=lambda: NOW - timedelta(days=40))
    idempotent(sessions, scope="folio", key="new", payload={}, work=lambda s: (201, {}), clock=lambda: NOW)
    with sessions.begin() as session:
        assert purge(session, older_than=NOW - timedelta(days=30)) == 1


def test_without_looking_first_a_retry_is_rolled_back_and_gets_the_first_answer(
        sessions: sessionmaker[Session]) -> None:
    """The work runs again on a retry, but its writes are undone with the key's failed insert."""
    made: list[int] = []

    def work(session: Session) -> tuple[int, dict[str, int]]:
        made.append(1)
        session.add(IdempotentRequest(scope="side", key=str(len(made)), fingerprint="", status_code=0,
                                      body={}, created_at=NOW))  # a write of the work's own
        return 201, {"n": len(made)}

    def book(payload: dict[str, int]) -> tuple[int, object]:
        return idempotent(sessions, scope="book", key="k1", payload=payload, work=work, clock=lambda: NOW,
                          look_first=False)

    assert book({"a": 1}) == (201, {"n": 1})
    assert book({"a": 1}) == (201, {"n": 1})
    with pytest.raises(IdempotencyKeyReused):
        book({"a": 2})
    with sessions() as session:  # only the first run's write stayed
        assert session.query(IdempotentRequest).filter_by(scope="side").count() == 1


def test_without_looking_first_a_refused_retry_still_gets_the_first_answer(
        sessions: sessionmaker[Session]) -> None:
    """A retry whose work is refused (the first took the last room) answers as the first did."""
    left = [1]

    def work(_session: Session) -> tuple[int, dict[str, str]]:
        if not left:
            raise SoldOut("sold out")
        left.pop()
        return 201, {"room": "101"}

    def book(key: str) -> tuple[int, object]:
        return idempotent(sessions, scope="book", key=key, payload={}, work=work, look_first=False)

    assert book("k1") == book("k1") == (201, {"room": "101"})
    with pytest.raises(SoldOut):
        book("k2")


@given(st.text(max_size=300))
def test_a_key_is_1_to_255_printable_ascii_characters(key: str) -> None:
    valid = 1 <= len(key) <= 255 and all(0x21 <= ord(c) <= 0x7E for c in key)
    if valid:
        assert check_key(key) == key
    else:
        with pytest.raises(MissingIdempotencyKey):
            check_key(key)
