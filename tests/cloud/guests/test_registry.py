"""The guest registry on SQLite and PostgreSQL: encryption at rest, search, duplicates, life cycle."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import AuditEntry
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.guests import lifecycle, registry
from cloud.guests.crypto import keys_from
from cloud.guests.errors import GuestErased, InvalidGuest
from cloud.guests.models import Guest, GuestStay
from cloud.guests.rekey import reencrypt_all
from cloud.guests.schemas import GuestInput
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault

K1 = base64.b64encode(os.urandom(32)).decode()
SETTINGS = GuestSettings(guest_keys=f"k1={K1}", frequent_guest_stays=3, frequent_guest_nights=10)
ANA = GuestInput.model_validate(
    {
        "name": "Ana García López",
        "email": "ana@example.com",
        "phone": "+34 600 111 222",
        "document": {"type": "passport", "number": "PA1234567", "country": "ES"},
        "nationality": "ES",
        "birth_date": "1985-04-12",
        "preferences": {"pillow": "firm", "diet": "vegetarian", "floor": "high"},
        "notes": "Allergic to feathers",
    }
)


@pytest.fixture
def db(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def vault(settings: GuestSettings = SETTINGS) -> Vault:
    cipher, index = keys_from(settings)
    return Vault(cipher=cipher, index=index)


def test_personal_data_is_stored_only_encrypted(db: sessionmaker[Session]) -> None:
    v = vault()
    with db() as s, s.begin():
        guest = registry.register(s, v, actor="test", site="hotel", data=ANA)
    with db() as s:
        row = s.execute(text("SELECT * FROM guests")).mappings().one()
        dump = " ".join(str(x) for x in row.values())
        for secret in ("Ana", "García", "ana@example.com", "600", "PA1234567", "feathers", "1985"):
            assert secret not in dump
        assert registry.view(v, s.get(Guest, guest.id)).email == "ana@example.com"  # type: ignore[arg-type]


def test_search_by_any_name_word_email_phone_or_document(db: sessionmaker[Session]) -> None:
    v = vault()
    with db() as s, s.begin():
        registry.register(s, v, actor="test", site="hotel", data=ANA)
        registry.register(s, v, actor="test", site="hotel", data=GuestInput(name="Bruno Garcia"))
        registry.register(s, v, actor="test", site="annex", data=GuestInput(name="Ana Garcia"))
    with db() as s:

        def names(q: str) -> list[str]:
            return [g.name for g in registry.search(s, v, sites=["hotel"], text=q)]

        assert names("garcia") == ["Ana García López", "Bruno Garcia"]
        assert names("LÓPEZ ana") == ["Ana García López"]
        assert names("ANA@example.com") == ["Ana García López"]
        assert names("+34600111222") == ["Ana García López"]
        assert names("ES pa-1234567") == ["Ana García López"]
        assert names("nobody") == []


def test_duplicates_are_found_and_merged_into_one_profile(db: sessionmaker[Session]) -> None:
    v = vault()
    with db() as s, s.begin():
        keep = registry.register(s, v, actor="test", site="hotel", data=ANA)
        dup = registry.register(
            s,
            v,
            actor="test",
            site="hotel",
            data=GuestInput(name="A. Garcia", email="Ana@Example.com", notes="VIP"),
        )
        lifecycle.record_stay(
            s,
            guest=dup,
            site="hotel",
            arrival=date(2026, 1, 1),
            departure=date(2026, 1, 4),
            spend_minor=45000,
            currency="EUR",
            settings=SETTINGS,
        )
        assert [d.id for d in registry.duplicates_of(s, v, keep)] == [dup.id]
        lifecycle.merge(s, v, actor="test", keep=keep, other=dup, settings=SETTINGS)
    with db() as s:
        kept, gone = s.get(Guest, keep.id), s.get(Guest, dup.id)
        assert kept is not None and gone is not None
        assert gone.merged_into == keep.id and gone.name_enc is None
        assert kept.stays_count == 1 and kept.nights_count == 3
        assert registry.view(v, kept).notes == "Allergic to feathers\nVIP"
        assert registry.search(s, v, sites=["hotel"], text="ana@example.com")[0].id == keep.id


def test_guest_becomes_frequent_at_the_stay_threshold_and_stays_are_idempotent(
    db: sessionmaker[Session],
) -> None:
    with db() as s, s.begin():
        guest = registry.register(s, vault(), actor="test", site="hotel", data=ANA)
        for i in range(3):
            for _ in range(2):  # the same reservation recorded twice counts once
                lifecycle.record_stay(
                    s,
                    guest=guest,
                    site="hotel",
                    arrival=date(2026, 2, 1 + 3 * i),
                    departure=date(2026, 2, 2 + 3 * i),
                    spend_minor=10000,
                    currency="EUR",
                    settings=SETTINGS,
                    reservation_id=f"01JD00000000000000000000R{i}",
                )
            assert guest.tier == ("frequent" if i == 2 else "normal")
        assert lifecycle.spend_of(lifecycle.stays_of(s, guest)) == {"EUR": 30000}
        with pytest.raises(InvalidGuest):
            lifecycle.record_stay(
                s,
                guest=guest,
                site="hotel",
                arrival=date(2026, 3, 2),
                departure=date(2026, 3, 1),
                spend_minor=1,
                currency="EUR",
                settings=SETTINGS,
            )


def test_export_holds_everything_and_erasure_removes_it(db: sessionmaker[Session]) -> None:
    v = vault()
    with db() as s, s.begin():
        guest = registry.register(s, v, actor="test", site="hotel", data=ANA)
        lifecycle.record_stay(
            s,
            guest=guest,
            site="hotel",
            arrival=date(2026, 1, 1),
            departure=date(2026, 1, 2),
            spend_minor=9900,
            currency="EUR",
            settings=SETTINGS,
        )
        exported = lifecycle.export(s, v, actor="test", guest=guest)
        assert exported["guest"]["document"]["number"] == "PA1234567"
        assert exported["spend"] == {"EUR": 9900} and len(exported["stays"]) == 1
        lifecycle.erase(s, v, actor="test", guest=guest)
    with db() as s, s.begin():
        erased = s.get(Guest, guest.id)
        assert erased is not None and erased.erased_at is not None
        assert all(
            getattr(erased, f"{f}_enc") is None for f in ("name", "email", "phone", "document", "notes")
        )
        assert registry.search(s, v, sites=["hotel"], text="ana@example.com") == []
        assert s.scalar(select(GuestStay.spend_minor)) == 9900  # the books keep the anonymous figure
        with pytest.raises(GuestErased):
            registry.update(s, v, actor="test", guest=erased, data=ANA)
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == guest.id)))
        assert {"guest.register", "guest.export", "guest.erase", "guest.stay"} <= actions


def test_reencryption_moves_every_guest_to_the_new_key(db: sessionmaker[Session]) -> None:
    with db() as s, s.begin():
        guest = registry.register(s, vault(), actor="test", site="hotel", data=ANA)
    k2, index2 = (base64.b64encode(os.urandom(32)).decode() for _ in range(2))
    rotated = vault(
        GuestSettings(guest_keys=f"k1={K1},k2={k2}", guest_active_key="k2", guest_index_key=index2)
    )
    assert reencrypt_all(db, rotated) == 1
    only_new = vault(GuestSettings(guest_keys=f"k2={k2}", guest_index_key=index2))
    with db() as s:  # the blind indexes were rebuilt under the new index key
        assert [g.id for g in registry.search(s, only_new, sites=["hotel"], text="lopez")] == [guest.id]
        assert registry.search(s, vault(), sites=["hotel"], text="lopez") == []
    with db() as s:
        row = s.get(Guest, guest.id)
        assert row is not None and row.email_enc is not None and row.email_enc.startswith("k2:")
        assert registry.view(only_new, row).document.number == "PA1234567"  # type: ignore[union-attr]
