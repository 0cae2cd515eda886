"""A booking over the API on PostgreSQL writes its new rows as plain INSERTs (``cloud.core.plain_inserts``);
the ORM's unit of work writes the same rows. The same requests, sent to two copies of one database
(one booking each way), leave the same rows in every table: the guest (sealed), its name tokens,
the reservation, its nights and room, the folio, the audit entries, the queued confirmation, the
loyalty lot, the idempotency rows; a retry with the same key is answered once, with the same body."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text

from cloud.billing.models import Folio
from cloud.core import plain_inserts
from cloud.guests.models import Guest
from cloud.guests.schemas import GuestInput
from cloud.loyalty import membership
from cloud.reservations.models import Reservation
from tests.cloud.reservations.apps import client_for
from tests.cloud.reservations.conftest import NOW
from tests.support.db import migrated_engine, seed_demo_into
from tests.support.pg import fresh_database

URL = "/api/v1/properties/hotel/reservations"
BASE = {"room_type": "std", "rate_plan": "flex", "arrival": "2027-03-10", "departure": "2027-03-12"}
REQUESTS: list[tuple[dict[str, Any], str | None]] = [
    ({**BASE, "guest_name": "Ana Lopez"}, "k1"),
    ({**BASE, "guest_name": "Ana Lopez"}, "k1"),  # a retry: answered once, with the first body
    ({**BASE, "room_type": "sup", "guest_name": "Bo Chen", "guest_email": "bo@example.com",
      "guest_phone": "+34 600 111 222", "guest_language": "zh", "notes": "late arrival",
      "preferences": {"floor": "high"}}, "k2"),  # a phone: the confirmation is queued
    ({**BASE, "arrival": "2027-03-20", "departure": "2027-03-23", "guest_name": "B. Chen",
      "guest_email": "bo@example.com"}, "k3"),  # the same guest found by email, a name in doubt
    ({**BASE, "guest_name": "Mia Member", "guest_email": "mia@example.com"}, "k4"),  # a member's points
    ({**BASE, "arrival": "2027-04-01", "departure": "2027-04-02", "guest_name": "No Key"}, None),
    ({**BASE, "room_type": "nope", "guest_name": "Nobody"}, "k5"),  # refused: nothing written
]
ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
SEALED = re.compile(r"^[A-Za-z0-9_.-]+:[A-Za-z0-9_-]{24,}={0,2}$")  # key id, then nonce and ciphertext
INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")
# the report sums are derived by triggers from the rows compared here; their physical rows (appended,
# folded and compacted by a worker on its own clock) differ between two runs whatever the path
SKIP = {"alembic_version", "catalog_stamp", "access_stamp", "audit_head", "reports_dim_sums",
        "reports_dim_marks", "reports_dims_dirty"}
# columns that differ between two runs whatever the path: the chain's sealer (its own thread) and the
# test's own random token and password salt
VARYING = {"audit_log": ("seq", "prev_hash", "hash"), "api_tokens": ("token_hash",),
           "staff_users": ("password_hash",)}


@contextmanager
def _database() -> Iterator[Engine]:
    with fresh_database() as url:
        engine = migrated_engine(url)
        seed_demo_into(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def _member(client: TestClient) -> None:
    """A member of the programme, known by email (``Mia Member`` books as her)."""
    services = client.app.services  # type: ignore[attr-defined]
    with services.sessions.begin() as s:
        guest = Guest(id="01J0000000000000000000MIA0", site="hotel", tier="normal", stays_count=0,
                      nights_count=0, language=None, created_at=NOW, updated_at=NOW)
        services.guests.vault.seal(s, guest, GuestInput(name="Mia Member", email="mia@example.com"), new=True)
        s.add(guest)
        s.flush()
        membership.enroll(s, actor="test", guest=guest)


def _book_all(engine: Engine, *, plain: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, Any]]:
    from sqlalchemy.orm import sessionmaker

    with monkeypatch.context() as patch:
        if not plain:  # the unit of work's path: no queue is ever opened
            patch.setattr(plain_inserts, "open_queue", lambda _session: False)
        with client_for(sessionmaker(engine), clock=lambda: NOW) as client:
            _member(client)
            answers = []
            for body, key in REQUESTS:
                headers = {"Idempotency-Key": key} if key else {}
                r = client.post(URL, json=body, headers=headers)
                answers.append((r.status_code, r.json()))
    return answers


def _shape(value: Any) -> Any:
    """A value with what differs between two runs (generated ids, instants, ciphertexts) named."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, str):
        if ULID.match(value):
            return "<id>"
        if INSTANT.match(value):
            return "<instant>"
        if SEALED.match(value):
            return "<sealed>"
    if hasattr(value, "isoformat") and hasattr(value, "hour"):
        return "<instant>"
    return value


def _rows(engine: Engine) -> dict[str, list[str]]:
    """Every table's rows, shaped and sorted (a multiset per table)."""
    with engine.connect() as conn:
        tables = [t for (t,) in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"))]
        found = {}
        for table in tables:
            if table in SKIP:
                continue
            query = text(f'SELECT row_to_json(t)::text FROM "{table}" t')
            rows = [_json(row) for row in conn.execute(query).scalars()]
            for row in rows:
                for column in VARYING.get(table, ()):
                    row.pop(column, None)
            found[table] = sorted(repr(_shape(row)) for row in rows)
        return found


def _json(row: str) -> Any:
    import json

    return json.loads(row)


def _personal(engine: Engine) -> list[Any]:
    """What the sealed columns hold, read back through the ORM (decrypted)."""
    from sqlalchemy.orm import Session

    from cloud.guests.sealed import vault_of

    with Session(engine) as s:
        vault = vault_of(engine.dialect)
        guests = sorted((vault.open(g) or GuestInput(name="?")).model_dump_json()
                        for g in s.scalars(select(Guest)))
        reservations = sorted(
            (r.guest_name, r.guest_email, r.guest_phone, r.notes, repr(r.preferences))
            for r in s.scalars(select(Reservation)))
        folios = sorted((f.guest_name, f.guest_phone) for f in s.scalars(select(Folio)))
        return [guests, reservations, folios]


@pytest.mark.service  # PostgreSQL: the plain inserts' path
def test_a_booking_writes_the_same_rows_by_plain_inserts_as_by_the_unit_of_work(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with _database() as plain_db, _database() as orm_db:
        plain = _book_all(plain_db, plain=True, monkeypatch=monkeypatch)
        orm = _book_all(orm_db, plain=False, monkeypatch=monkeypatch)
        assert [status for status, _ in plain] == [201, 201, 201, 201, 201, 201, 404]
        assert [status for status, _ in orm] == [status for status, _ in plain]
        assert plain[1] == plain[0], "a retry with the same key is answered with the first body"
        assert _shape([body for _, body in plain]) == _shape([body for _, body in orm])
        plain_rows, orm_rows = _rows(plain_db), _rows(orm_db)
        for table in ("guests", "guest_name_tokens", "reservations", "reservation_nights", "room_allocations",
                      "billing_folios", "audit_log", "notify_outbox", "idempotency_keys", "loyalty_lots"):
            assert plain_rows.get(table), f"nothing in {table}: the test would prove nothing"
        assert plain_rows.keys() == orm_rows.keys()
        differ = {table: sorted(set(rows) ^ set(orm_rows[table]))
                  for table, rows in plain_rows.items() if rows != orm_rows[table]}
        assert not differ
        assert _personal(plain_db) == _personal(orm_db)
