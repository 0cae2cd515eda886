"""Staff accounts, sessions and the audit log on SQLite and PostgreSQL: the database keeps the rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.accounts import create_staff, ensure_property
from cloud.auth.audit import audit, history
from cloud.auth.models import StaffUser
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.sessions import Refused, SignedIn, resolve_session, sign_in, sign_out_everywhere
from cloud.auth.settings import AuthSettings
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from mqtt.envelope import utcnow

SETTINGS = AuthSettings(argon2_memory_kib=1024, argon2_time_cost=1, lockout_threshold=3)
PASSWORDS = Passwords(SETTINGS)
PASSWORD = "correct-horse-battery"


@pytest.fixture
def db(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions() as s, s.begin():
        ensure_property(s, site="hotel", chain="acme", name="Hotel", time_zone="Europe/Madrid")
        create_staff(
            s,
            actor="test",
            passwords=PASSWORDS,
            username="desk",
            display_name="Desk",
            password=PASSWORD,
            role=Role.FRONT_DESK,
            site="hotel",
        )
    yield sessions
    engine.dispose()


@pytest.mark.parametrize(
    ("role", "site"), [("front_desk", None), ("chain_admin", "hotel"), ("janitor", "hotel")]
)
def test_database_refuses_a_role_outside_its_scope(
    db: sessionmaker[Session], role: str, site: str | None
) -> None:
    with db() as s, pytest.raises(IntegrityError), s.begin():
        s.execute(
            text(
                "INSERT INTO staff_users (id, username, display_name, password_hash, role, chain, site, "
                "active, failures, created_at) VALUES ('01JD0000000000000000000001', 'x', 'x', 'h', :role, "
                "'acme', :site, true, 0, :now)"
            ),
            {"role": role, "site": site, "now": utcnow()},
        )


def test_sign_in_throttle_and_sign_out_everywhere(db: sessionmaker[Session]) -> None:
    now = utcnow()
    with db() as s, s.begin():
        opened = sign_in(
            s, username="DESK ", password=PASSWORD, now=now, settings=SETTINGS, passwords=PASSWORDS
        )
    assert isinstance(opened, SignedIn) and opened.principal.time_zone == "Europe/Madrid"
    results = []
    for i in range(4):
        with db() as s, s.begin():
            results.append(
                sign_in(
                    s,
                    username="desk",
                    password="wrong-password",
                    now=now + timedelta(milliseconds=i),
                    settings=SETTINGS,
                    passwords=PASSWORDS,
                )
            )
    assert [r.reason for r in results if isinstance(r, Refused)] == [
        "bad_credentials",
        "bad_credentials",
        "bad_credentials",  # the third failure starts a 1 s wait
        "throttled",
    ]
    with db() as s, s.begin():
        assert resolve_session(s, opened.token, now=now, settings=SETTINGS) is not None
        user_id = s.scalar(select(StaffUser.id))
        assert user_id is not None
        assert sign_out_everywhere(s, user_id=user_id, now=now, actor="test") == 1
    with db() as s:
        assert resolve_session(s, opened.token, now=now, settings=SETTINGS) is None
        actions = [e.action for e in history(s, entity="staff", entity_id=user_id)]
        assert {"staff.create", "staff.throttled", "staff.sign_out_everywhere"} <= set(actions)
    later = now + timedelta(seconds=SETTINGS.signin_first_wait_seconds + 3)
    with db() as s, s.begin():
        assert isinstance(
            sign_in(s, username="desk", password=PASSWORD, now=later, settings=SETTINGS, passwords=PASSWORDS),
            SignedIn,
        )


def test_audit_entries_come_back_newest_first_with_their_detail(db: sessionmaker[Session]) -> None:
    with db() as s, s.begin():
        audit(s, "system:test", "reservation.create", "reservation", "R1", {"room": "101"})
        audit(s, "system:test", "reservation.cancel", "reservation", "R1", {"reason": "guest"})
    with db() as s:
        entries = history(s, entity="reservation", entity_id="R1")
        assert [e.action for e in entries] == ["reservation.cancel", "reservation.create"]
        assert entries[1].detail == {"room": "101"} and entries[0].at.tzinfo is not None
