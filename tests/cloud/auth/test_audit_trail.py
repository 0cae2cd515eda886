"""The audit trail on SQLite and PostgreSQL: entries written with their change and sealed into a
hash chain, tracked tables recorded by themselves, append-only, tampering found, concurrent
writers and sealers never fork the chain."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.accounts import create_staff, ensure_property
from cloud.auth.audit import audit
from cloud.auth.audit_chain import Broken, Verified
from cloud.auth.audit_log import AuditFilter, as_csv, search, unsealed_count, verify_log
from cloud.auth.audit_seal import seal, seal_all
from cloud.auth.models import AuditEntry, StaffUser
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.settings import AuthSettings
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from posada.audit_cli import run as verify_cli

PASSWORDS = Passwords(AuthSettings(argon2_memory_kib=1024, argon2_time_cost=1))


@pytest.fixture
def db(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def _entries(db: sessionmaker[Session]) -> list[AuditEntry]:
    seal_all(db)
    with db() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def _staff(s: Session) -> StaffUser:
    ensure_property(s, site="hotel", chain="acme", name="Hotel")
    return create_staff(s, actor="test", passwords=PASSWORDS, username="desk", display_name="Desk",
                        password="correct-horse-battery", role=Role.FRONT_DESK, site="hotel")


def test_entries_are_sealed_in_order_into_a_chain_that_verifies(db: sessionmaker[Session],
                                                                 db_url: str) -> None:
    for n in range(3):
        with db() as s, s.begin():
            audit(s, "system:test", "reservation.cancel", "reservation", f"R{n}", {"n": n})
    with db() as s:
        assert unsealed_count(s) == 3 and verify_log(s) == Verified(entries=0, last_seq=0, last_hash="0" * 64)
    entries = _entries(db)
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == "0" * 64 and entries[1].prev_hash == entries[0].hash
    with db() as s:
        assert verify_log(s) == Verified(entries=3, last_seq=3, last_hash=entries[-1].hash or "")
    out = io.StringIO()
    assert verify_cli(database_url=db_url, out=out) == 0 and "3 entries" in out.getvalue()


def test_tracked_rows_record_before_and_after_without_personal_data(db: sessionmaker[Session]) -> None:
    with db() as s, s.begin():
        user_id = _staff(s).id
    with db() as s, s.begin():
        user = s.get(StaffUser, user_id)
        assert user is not None
        user.display_name, user.password_hash = "Front desk", "new-hash"
    seal_all(db)
    with db() as s:
        changed = search(s, AuditFilter(action="staff.update", entity_id=user_id))
        created = search(s, AuditFilter(action="staff.create", entity_id=user_id))
    assert changed[0].detail == {"before": {"display_name": "Desk", "password_hash": "[redacted]"},
                                 "after": {"display_name": "Front desk", "password_hash": "[redacted]"}}
    assert {e.actor for e in created} == {"test", "system"}  # the explicit entry and the row's own
    assert "correct-horse" not in str([e.detail for e in created])


def test_a_new_row_is_recorded_under_the_id_the_database_gave_it(db: sessionmaker[Session]) -> None:
    from cloud.catalog import service as catalog

    with db() as s, s.begin():
        prop = catalog.create_property(s, slug="inn", number=3, name="Inn", timezone="UTC", currency="EUR")
        prop_id = prop.id
    with db() as s:
        [entry] = search(s, AuditFilter(action="property.create"))
    assert entry.entity_id == str(prop_id) and entry.detail["after"]["slug"] == "inn"


def test_a_rolled_back_transaction_records_nothing(db: sessionmaker[Session]) -> None:
    with db() as s:
        s.begin()
        audit(s, "system:test", "price.update", "price", "P1")
        s.rollback()
        with s.begin():
            audit(s, "system:test", "price.update", "price", "P2")
    assert [e.entity_id for e in _entries(db)] == ["P2"]


def test_the_log_refuses_updates_and_deletes_but_the_seal(db: sessionmaker[Session]) -> None:
    with db() as s, s.begin():
        audit(s, "system:test", "payment.create", "payment", "PAY1", {"amount": 100})
    with db() as s, pytest.raises(DBAPIError, match="append-only"), s.begin():
        s.execute(text("UPDATE audit_log SET actor = 'someone else', seq = 7"))  # sealing, and a change
    seal_all(db)
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "UPDATE audit_log SET seq = 9",
                      "DELETE FROM audit_log"):
        with db() as s, pytest.raises(DBAPIError, match="append-only"), s.begin():
            s.execute(text(statement))


def _without_guard(s: Session, dialect: str) -> None:
    if dialect == "postgresql":
        s.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    else:
        s.execute(text("DROP TRIGGER audit_log_no_update"))
        s.execute(text("DROP TRIGGER audit_log_no_delete"))


def test_tampering_is_found_at_the_first_broken_link(db: sessionmaker[Session]) -> None:
    for n in range(4):
        with db() as s, s.begin():
            audit(s, "system:test", "refund.create", "payment", f"RF{n}", {"amount": n})
    seal_all(db)
    with db() as s, s.begin():
        _without_guard(s, s.get_bind().dialect.name)
        s.execute(text("UPDATE audit_log SET actor = 'nobody' WHERE seq = 2"))
    with db() as s:
        found = verify_log(s)
    assert isinstance(found, Broken) and found.seq == 2
    out = io.StringIO()
    with db() as s:
        url = s.get_bind().engine.url.render_as_string(hide_password=False)
    assert verify_cli(database_url=url, out=out) == 1 and "entry 2" in out.getvalue()


def test_a_cut_tail_is_found_against_the_head(db: sessionmaker[Session]) -> None:
    for n in range(3):
        with db() as s, s.begin():
            audit(s, "system:test", "invoice.create", "invoice", f"I{n}")
    seal_all(db)
    with db() as s, s.begin():
        _without_guard(s, s.get_bind().dialect.name)
        s.execute(text("DELETE FROM audit_log WHERE seq = 3"))
    with db() as s:
        found = verify_log(s)
    assert isinstance(found, Broken) and found.seq == 3


def test_concurrent_writers_and_sealers_never_fork_the_chain(db: sessionmaker[Session]) -> None:
    start = threading.Barrier(8)

    def write(n: int) -> None:
        start.wait()
        for k in range(5):
            with db() as s, s.begin():
                audit(s, "system:test", "folio.update", "folio", f"F{n}-{k}")
                audit(s, "system:test", "charge.create", "charge", f"C{n}-{k}")

    def sealer() -> None:
        start.wait()
        for _ in range(10):
            with db() as s, s.begin():
                seal(s, batch=7)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    threads += [threading.Thread(target=sealer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    entries = _entries(db)
    assert [e.seq for e in entries] == list(range(1, 61))
    with db() as s:
        assert isinstance(verify_log(s), Verified)


def test_the_export_is_csv_with_one_row_per_entry(db: sessionmaker[Session]) -> None:
    with db() as s, s.begin():
        audit(s, "system:test", "restriction.update", "restriction", "X1", {"note": "a, \"quoted\" one"})
    seal_all(db)
    with db() as s:
        lines = "".join(as_csv(search(s, AuditFilter()))).splitlines()
    assert lines[0].startswith("seq,at,actor") and lines[1].startswith("1,") and len(lines) == 2


def test_odd_details_are_sealed_into_a_chain_that_verifies(db: sessionmaker[Session]) -> None:
    """The seal hashes what ``verify`` reads back, whichever encoder writes the bytes: fractions,
    large and negative numbers, nesting, text beyond ASCII and escapes, empty and null values."""
    details: list[dict[str, Any]] = [
        {"f": 0.1, "g": 1e16, "h": 1e-05, "n": -(2**63), "m": 2**63 - 1}, {"nest": {"a": [1, {"b": None}]}},
        {"text": "é😀\u2028\"\\\n\t\x01", "ключ": "значение"}, {}, {"none": None, "empty": "", "list": []},
        {"price": 12.5, "after": {"total_minor": 10000, "notes": "[redacted]"}},
    ]
    for n, detail in enumerate(details):
        with db() as s, s.begin():
            audit(s, "system:test", "reservation.modify", "reservation", f"odd{n}", detail)
    entries = _entries(db)
    assert [e.detail for e in entries if e.entity_id.startswith("odd")] == details
    with db() as s:
        assert verify_log(s) == Verified(entries=len(entries), last_seq=len(entries),
                                         last_hash=entries[-1].hash or "")
