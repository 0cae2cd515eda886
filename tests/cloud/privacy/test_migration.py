"""pii_0001 seals the plain rows a database holds, and its downgrade opens them again."""

from __future__ import annotations

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.folio import ChargeKind
from cloud.billing.models import Charge, Folio
from cloud.billing.service import ChargeRequest, post_charge
from cloud.billing.tax import TaxPolicy
from cloud.core.migrate import alembic_config, upgrade
from cloud.core.money import Money
from cloud.notify.models import Contact, OutboxMessage
from cloud.reservations.models import Reservation
from tests.cloud.privacy.test_service import COMPANY, DINNER, EMAIL, NAME, PHONE, _raw, _stay
from tests.cloud.reservations.conftest import NOW

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane


def _columns(engine: Engine, table: str) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns(table)}


def test_plain_rows_are_sealed_by_the_upgrade_and_opened_by_the_downgrade(
    manager: TestClient, sessions: sessionmaker[Session], engine: Engine
) -> None:
    _guest, res = _stay(manager)
    command.downgrade(alembic_config(engine), "pii@-3")  # the schema before: plain columns
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


def test_charge_descriptions_and_company_names_are_sealed_and_the_charges_stay_guarded(
    manager: TestClient, sessions: sessionmaker[Session], engine: Engine
) -> None:
    _stay(manager)
    with sessions.begin() as s:
        folio = s.scalars(select(Folio)).one()
        post_charge(s, folio_id=folio.id, policy=TaxPolicy(inclusive=False), now=NOW,
                    request=ChargeRequest(ChargeKind.RESTAURANT, DINNER, Money(4000, "EUR")))
        folio.company_name = COMPANY
    command.downgrade(alembic_config(engine), "pii@-1")  # pii_0002: both plain
    assert "description" in _columns(engine, "billing_charges")
    with engine.connect() as conn:
        assert DINNER in conn.execute(text("SELECT description FROM billing_charges")).scalars().all()
        assert conn.execute(text("SELECT company_name FROM billing_folios")).scalar_one() == COMPANY
    upgrade(engine)
    assert not {"description", "company_name"} & (_columns(engine, "billing_charges")
                                                  | _columns(engine, "billing_folios"))
    dumped = repr(_raw(sessions))
    assert "Dinner" not in dumped and "Consulting" not in dumped
    with sessions() as s:
        assert DINNER in s.scalars(select(Charge.description)).all()
        assert s.scalars(select(Folio.company_name)).one() == COMPANY
    for statement in ("UPDATE billing_charges SET gross_minor = 1, net_minor = 1, tax_minor = 0",
                      "UPDATE billing_charges SET kind = 'spa'", "DELETE FROM billing_charges"):
        with pytest.raises(DBAPIError, match="immutable"), engine.begin() as conn:
            conn.execute(text(statement))
    with sessions.begin() as s:  # the sealed description alone may be rewritten (erasure, a new key)
        for charge in s.scalars(select(Charge)):
            charge.description = "[erased]"
    with sessions() as s:
        assert set(s.scalars(select(Charge.description))) == {"[erased]"}
