"""pii_0001 seals the plain rows a database holds, and its downgrade opens them again."""

from __future__ import annotations

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Folio
from cloud.core.migrate import alembic_config, upgrade
from cloud.notify.models import Contact, OutboxMessage
from cloud.reservations.models import Reservation
from tests.cloud.privacy.test_service import EMAIL, NAME, PHONE, _raw, _stay


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_plain_rows_are_sealed_by_the_upgrade_and_opened_by_the_downgrade(
    manager: TestClient, sessions: sessionmaker[Session], engine: Engine
) -> None:
    _guest, res = _stay(manager)
    command.downgrade(alembic_config(engine), "pii@-2")  # the schema before: plain columns
    assert {"guest_name", "guest_email", "guest_phone"} <= _columns(engine, "reservations")
    assert "guest_name_enc" not in _columns(engine, "reservations")
    with engine.connect() as conn:
        plain = conn.execute(text("SELECT guest_name, guest_email, guest_phone FROM reservations")).one()
        assert tuple(plain) == (NAME, EMAIL, PHONE)
        assert conn.execute(text("SELECT guest_name FROM billing_folios")).scalar_one() == NAME
        assert conn.execute(text("SELECT count(*) FROM notify_outbox")).scalar_one() > 0
        conn.execute(text(f"UPDATE reservations SET notes = 'call {PHONE}'"))
        conn.execute(text("INSERT INTO notify_contacts (channel, address, opted_out, updated_at) VALUES "
                          "('whatsapp', '34611222333', true, CURRENT_TIMESTAMP), "
                          "('whatsapp', '+34611222333', false, CURRENT_TIMESTAMP)"))
        conn.commit()

    upgrade(engine)  # pii_0001 on a database of plain rows
    assert not {"guest_name", "guest_email", "guest_phone"} & _columns(engine, "reservations")
    dumped = repr(_raw(sessions))
    assert NAME not in dumped and EMAIL not in dumped and "611 222 333" not in dumped
    with sessions() as s:
        row = s.get(Reservation, res["id"])
        assert row is not None and (row.guest_name, row.guest_email, row.guest_phone) == (NAME, EMAIL, PHONE)
        assert s.scalars(select(Folio.guest_name)).one() == NAME
        assert all(m.recipient for m in s.scalars(select(OutboxMessage)))
        assert row.notes == f"call {PHONE}"  # pii_0002: sealed, and opened on read
        [contact] = s.scalars(select(Contact)).all()  # the two spellings of one phone became one row
        assert contact.opted_out and s.get(Contact, ("whatsapp", PHONE)) is contact
    found = manager.get("/api/v1/properties/hotel/reservations", params={"q": EMAIL.upper()}).json()
    assert [r["id"] for r in found] == [res["id"]]  # the blind indexes were computed by the upgrade
