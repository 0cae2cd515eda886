"""A server of its own for the check-out walk: the demo hotel, a desk clerk, checked-in stays.

The stays are booked and checked in through the real reservation and folio code (the same
calls the API makes) for tonight, one night, so checking out today is not an early departure.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from cloud.auth.accounts import create_staff
from cloud.auth.demo import DEMO_CHAIN
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.settings import AuthSettings
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import FolioLedger
from cloud.cards.issuer import KeyringIssuer
from cloud.core.db import make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.core.nights import local_instant, local_today
from cloud.keys.storage import KeyDirectory
from cloud.reservations.sales import booking
from cloud.reservations.stays import service as stays
from cloud.setup.demo import seed_demo
from mqtt.envelope import utcnow
from tests.browser.conftest import PASSWORD
from tests.support.db import migrated_sqlite, sealed_engine
from tests.support.portal import running_portal
from tests.support.ports import free_port

TAXES = {"*": {"inclusive": False, "rates": [{"code": "IVA", "percent": "10"}]}}
GUESTS = {"en": "Oliver Grant", "es": "Lucía Fernández"}


@dataclass
class DeskServer:
    url: str
    stays: dict[str, str]  # guest language -> reservation id


def _check_in_tonight(session: object, *, language: str, name: str, keys: Path) -> str:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    prop = seed_demo(session)
    now = utcnow()
    today = local_today(now, prop.timezone)
    ledger = FolioLedger(BillingSettings.model_validate({"billing_taxes": TAXES}))
    res = booking.book(session, booking.Booking(
        property="hotel", room_type="std", rate_plan="flex", arrival=today,
        departure=today + timedelta(days=1), guest_name=name, guest_language=language), now=now)
    ledger.booked(session, res, now=now)
    arrived = max(now, local_instant(today, prop.checkin_from, prop.timezone))
    issuer = KeyringIssuer(KeyDirectory(keys).load_or_create(now=now - timedelta(days=1)))
    stays.check_in(session, res, issuer=issuer, now=arrived)
    ledger.checked_in(session, res, now=arrived)
    return res.id


def _seed(url: str, keys: Path, *, secret: str) -> dict[str, str]:
    engine = sealed_engine(url, secret=secret)
    upgrade(engine)
    passwords = Passwords(AuthSettings(argon2_memory_kib=19456, argon2_time_cost=2, argon2_parallelism=1))
    with make_sessionmaker(engine)() as s, s.begin():
        seed_demo(s)
        create_staff(s, actor="test", passwords=passwords, username="lucia",
                     display_name="Lucía Pérez", password=PASSWORD, role=Role.FRONT_DESK,
                     site="hotel", chain=DEMO_CHAIN)
        ids = {lang: _check_in_tonight(s, language=lang, name=name, keys=keys)
               for lang, name in GUESTS.items()}
    engine.dispose()
    return ids


@contextmanager
def desk_server() -> Iterator[DeskServer]:
    directory = Path(tempfile.mkdtemp(prefix="posada-desk-"))
    port = free_port()
    env = {
        **os.environ,
        "POSADA_DATABASE_URL": migrated_sqlite(directory / "cloud.db"),
        "POSADA_MQTT_ENABLED": "false",
        "POSADA_ARGON2_MEMORY_KIB": "19456",
        "POSADA_ARGON2_TIME_COST": "2",
        "POSADA_ARGON2_PARALLELISM": "1",
        "POSADA_SECRET_KEY": "browser-desk-secret-key-0123456789",
        "POSADA_KEYS_DIR": str(directory / "keys"),
        "POSADA_BILLING_TAXES": json.dumps(TAXES),
        "POSADA_BILLING_ISSUERS": json.dumps({"*": {"name": "Posada Demo Hotel"}}),
    }
    ids = _seed(env["POSADA_DATABASE_URL"], directory / "keys", secret=env["POSADA_SECRET_KEY"])
    with running_portal(env, port=port, log_path=directory / "server.log") as url:
        yield DeskServer(url=url, stays=ids)
