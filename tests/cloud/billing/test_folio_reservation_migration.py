"""billing_0003: folios already in the database keep their charges, and gain the foreign key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from cloud.billing.folio import ChargeKind
from cloud.billing.service import ChargeRequest, FolioSpec, GuestInfo, open_folio, post_charge
from cloud.billing.tax import TaxPolicy
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import alembic_config
from cloud.core.money import Money
from cloud.reservations.sales.booking import Booking, book
from cloud.setup.demo import seed_demo

pytestmark = pytest.mark.slow  # seconds a test: in the full suite, not the fast lane

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def before(empty_db_url: str) -> Iterator[Engine]:
    """Every branch migrated except billing_0003 and what was built on it."""
    engine = make_engine(empty_db_url)
    config = alembic_config(engine)
    script = ScriptDirectory.from_config(config)

    def on_billing_0003(head: str) -> bool:
        return any(r.revision == "billing_0003" for r in script.iterate_revisions(head, "base"))

    for target in [h for h in script.get_heads() if not on_billing_0003(h)] + ["billing_0002"]:
        command.upgrade(config, target)
    yield engine
    engine.dispose()


def _stay_with_a_charge(engine: Engine) -> tuple[str, str]:
    with make_sessionmaker(engine).begin() as session:
        seed_demo(session)
        res = book(session, Booking(property="hotel", room_type="std", rate_plan="flex",
                                    arrival=date(2027, 3, 3), departure=date(2027, 3, 5),
                                    guest_name="Ana"), now=NOW)
        folio = open_folio(session, FolioSpec(site="hotel", currency="EUR", reservation_id=res.id,
                                              guest=GuestInfo("Ana")), now=NOW)
        post_charge(session, folio_id=folio.id, policy=TaxPolicy(inclusive=False), now=NOW,
                    request=ChargeRequest(ChargeKind.MINIBAR, "Water", Money(350, "EUR")))
        return res.id, folio.id


def _insert_folio(engine: Engine, folio_id: str, reservation_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO billing_folios (id, site, reservation_id, kind, routed_kinds, currency,"
            " guest_name_enc, guest_language, status, created_at) VALUES (:id, 'hotel', :rid,"
            " 'stay', '[]', 'EUR', 'X', 'en', 'open', :now)"),
            {"id": folio_id, "rid": reservation_id, "now": NOW})


def test_existing_folios_keep_their_charges_and_gain_the_foreign_key(before: Engine) -> None:
    reservation_id, folio_id = _stay_with_a_charge(before)
    command.upgrade(alembic_config(before), "heads")
    with before.connect() as conn:
        charges = conn.execute(text("SELECT count(*) FROM billing_charges WHERE folio_id = :f"),
                               {"f": folio_id}).scalar_one()
    assert charges == 1
    with pytest.raises(IntegrityError):
        _insert_folio(before, "f-unknown", "01ARZ3NDEKTSV4RRFFQ69G5FAV")
    with pytest.raises(IntegrityError):  # one stay folio per reservation
        _insert_folio(before, "f-second", reservation_id)


def test_a_folio_naming_a_missing_reservation_stops_the_upgrade(before: Engine) -> None:
    _insert_folio(before, "f-orphan", "R-100")
    with pytest.raises(RuntimeError, match="1 folio"):
        command.upgrade(alembic_config(before), "heads")


def test_a_reservation_with_a_folio_cannot_be_deleted_one_without_can(before: Engine) -> None:
    reservation_id, _ = _stay_with_a_charge(before)
    with make_sessionmaker(before).begin() as session:
        bare = book(session, Booking(property="hotel", room_type="std", rate_plan="flex",
                                     arrival=date(2027, 3, 3), departure=date(2027, 3, 4),
                                     guest_name="Bea"), now=NOW).id
    command.upgrade(alembic_config(before), "heads")
    delete = text("DELETE FROM reservations WHERE id = :r")
    with pytest.raises(IntegrityError), before.begin() as conn:
        conn.execute(delete, {"r": reservation_id})
    with before.begin() as conn:
        assert conn.execute(delete, {"r": bare}).rowcount == 1
