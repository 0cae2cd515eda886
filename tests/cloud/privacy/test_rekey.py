"""A key rotation re-encrypts every sealed copy and rebuilds the blind indexes; a rerun finds nothing."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

import cloud.models  # noqa: F401  (every table)
from cloud.billing.models import Invoice
from cloud.catalog.models import Property
from cloud.core.db import Base
from cloud.guests import rekey_copies
from cloud.guests.crypto import keys_from
from cloud.guests.rekey import run
from cloud.guests.rekey_copies import reencrypt_copies, sealed_tables
from cloud.guests.sealed import vault_of
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault
from cloud.notify.models import Contact
from cloud.notify.outbox import set_opt_out
from cloud.reservations.models import Reservation
from cloud.reservations.search.service import Criteria, search
from tests.cloud.privacy.test_service import EMAIL, NAME, _invoice, _stay
from tests.cloud.reservations.conftest import NOW
from tests.support.db import migrated_engine


def _rotated(engine: Engine) -> Vault:
    old = vault_of(engine.dialect)
    derived, fresh = (base64.b64encode(k).decode() for k in (old.cipher.keys["derived"], os.urandom(32)))
    keys = f"derived={derived},k2={fresh}"
    index = base64.b64encode(os.urandom(32)).decode()
    cipher, blind = keys_from(GuestSettings(guest_keys=keys, guest_active_key="k2", guest_index_key=index))
    return Vault(cipher=cipher, index=blind)


def _tokens(engine: Engine) -> list[str]:
    found = []
    with engine.connect() as conn:
        for spec in sealed_tables(Base.metadata):
            for column in spec.sealed:
                found += [
                    t for (t,) in conn.execute(text(f"SELECT {column.name} FROM {spec.table.name}")) if t
                ]
    return found


def test_every_copy_moves_to_the_new_key_and_stays_searchable(
    manager: TestClient, sessions: sessionmaker[Session], engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rekey_copies, "BATCH", 1)  # every row its own batch: the walk resumes past each
    _guest, res = _stay(manager)
    _invoice(sessions)
    with sessions.begin() as s:  # two rows under one channel: the walk pages by the whole key
        for address, out in (("34600111222", True), ("34600999888", False)):
            set_opt_out(s, channel="whatsapp", address=address, opted_out=out, now=NOW)
    assert {t.partition(":")[0] for t in _tokens(engine)} == {"derived"}
    vault = _rotated(engine)
    done = reencrypt_copies(engine, vault, Base.metadata, reindex=True)
    assert done["reservations"] == 1 and done["billing_folios"] == 1 and done["notify_outbox"] >= 1
    assert done["billing_invoices"] == 1  # immutable rows: their trigger lifted inside the batch only
    assert done["notify_contacts"] == 2
    assert {t.partition(":")[0] for t in _tokens(engine)} == {"k2"}
    with sessions() as s:
        row = s.get(Reservation, res["id"])
        assert row is not None and (row.guest_name, row.guest_email) == (NAME, EMAIL)
        prop = s.scalars(select(Property).where(Property.slug == "hotel")).one()
        assert [r.id for r in search(s, prop, Criteria("quint")).reservations] == [res["id"]]  # new index key
        assert s.scalars(select(Invoice.bill_to)).one()["name"] == NAME
        contacts = {c: s.get(Contact, ("whatsapp", c)) for c in ("34600111222", "+34 600 999 888")}
        assert {c: (k.address, k.opted_out) if k else None for c, k in contacts.items()} == {
            "34600111222": ("34600111222", True), "+34 600 999 888": ("34600999888", False)}
    again = reencrypt_copies(engine, vault, Base.metadata)  # resumed or run twice: nothing left to do
    assert sum(again.values()) == 0
    with pytest.raises(DBAPIError), engine.begin() as conn:  # the invoices are immutable again
        conn.execute(text("UPDATE billing_invoices SET language = 'es'"))


def test_the_command_reencrypts_with_the_configured_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    migrated_engine(url).dispose()
    keys = f"k1={base64.b64encode(os.urandom(32)).decode()}"
    settings = GuestSettings(guest_keys=keys, guest_index_key=base64.b64encode(os.urandom(32)).decode())
    assert run(settings, database_url=url, metadata=Base.metadata, reindex=True) == 0
