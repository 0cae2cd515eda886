"""A server of its own for running the house: the demo hotel, its staff, an in-house guest, a
service request waiting, a treatment room and a minibar item near its minimum."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.auth.accounts import create_staff
from cloud.auth.demo import DEMO_CHAIN
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.settings import AuthSettings
from cloud.billing.settings import BillingSettings
from cloud.billing.stay_ledger import FolioLedger
from cloud.cards.issuer import KeyringIssuer
from cloud.catalog.models import Property
from cloud.core.db import make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.core.nights import local_instant, local_today
from cloud.housekeeping import daily_tasks
from cloud.keys.storage import KeyDirectory
from cloud.operations.attendance.models import StaffCard, StaffPunch
from cloud.operations.facilities import service as facilities
from cloud.operations.inventory import service as inventory
from cloud.operations.inventory.models import StockMove
from cloud.operations.inventory.stock import MoveKind
from cloud.operations.long_stays import service as long_stays
from cloud.operations.long_stays.billing import bill_property
from cloud.operations.requests import service as requests
from cloud.reservations.sales import booking
from cloud.reservations.stays import service as stays
from mqtt.envelope import utcnow
from tests.browser.conftest import PASSWORD
from tests.browser.desk_server import TAXES, _check_in_tonight
from tests.support.db import sealed_engine
from tests.support.portal import running_portal
from tests.support.ports import free_port

STAFF = {
    "fang": Role.HOUSEKEEPING,
    "lucia": Role.FRONT_DESK,
    "tomas": Role.STOREKEEPER,
    "amaia": Role.SPA,
    "marta": Role.MANAGER,
}
NAMES = {"en": "Towels", "es": "Toallas", "zh": "毛巾"}


@dataclass
class HouseServer:
    url: str
    stay: str
    directory: Path
    secret: str
    long_stay: str = ""


def _long_stay(s: Session, keys: Path) -> str:
    """Greta's six weeks from today, billed by contract: its first month is billed at once."""
    prop = s.scalar(select(Property).where(Property.slug == "hotel"))
    assert prop is not None
    now = utcnow()
    today = local_today(now, prop.timezone)
    billing = BillingSettings.model_validate({"billing_taxes": TAXES})
    ledger = FolioLedger(billing)
    res = booking.book(s, booking.Booking(
        property="hotel", room_type="std", rate_plan="flex", arrival=today,
        departure=today + timedelta(days=42), guest_name="Greta Lind", guest_email="greta@guest.test",
        guest_language="es"), now=now)
    ledger.booked(s, res, now=now)
    terms = long_stays.ContractIn(
        cycle="monthly", rate_minor=120000, billing_day=min(today.day, 28), deposit_minor=50000,
        notice_days=30, auto_renew=False, utility_prices={"electricity": 25},
        services=[("cleaning", [1], 1500)])
    long_stays.create(s, res, terms, actor="test", now=now)
    arrived = max(now, local_instant(today, prop.checkin_from, prop.timezone))
    issuer = KeyringIssuer(KeyDirectory(keys).load_or_create(now=now - timedelta(days=1)))
    stays.check_in(s, res, issuer=issuer, now=arrived)
    ledger.checked_in(s, res, now=arrived)
    _res, contract = long_stays.contract_for(s, res.id)
    long_stays.read_meter(s, contract, res, meter="electricity", reading=1000, read_on=today, actor="test")
    bill_property(s, prop, billing=billing, now=arrived)
    return res.id


def _operations(s: Session, stay: str) -> None:
    daily_tasks.set_floors(s, site="hotel", username="fang", floors=["f1"])
    daily_tasks.vacated(s, site="hotel", floor="f1", room="102", day=local_today(utcnow(), "Europe/Madrid"))
    requests.add_type(
        s,
        site="hotel",
        body=requests.TypeIn(
            code="towels",
            department="housekeeping",
            names=NAMES,
            price_minor=0,
            charge_kind="restaurant",
            promise_minutes=20,
        ),
    )
    requests.ask(
        s,
        site="hotel",
        actor="test",
        now=utcnow(),
        body=requests.Ask(type_code="towels", source="guest", reservation_id=stay, room="101"),
    )
    facilities.add_facility(
        s,
        site="hotel",
        body=facilities.FacilityIn(
            code="massage-1",
            names={"en": "Massage room", "es": "Sala de masajes", "zh": "按摩室"},
            area="spa",
            opens=time(0),
            closes=time(23, 59),
            capacity=1,
            slot_minutes=60,
            price_minor=6000,
            charge_kind="spa",
        ),
    )
    inventory.add_supplier(
        s, site="hotel", code="aguas", name="Aguas del Sur", email="orders@aguas.test", lead_days=2
    )
    inventory.add_store(s, site="hotel", code="main", name="Almacén principal")
    item = inventory.add_item(
        s,
        site="hotel",
        body=inventory.ItemIn(
            store="main",
            sku="water-50",
            name="Agua 50 cl",
            category="minibar",
            minimum=10,
            maximum=48,
            pack_size=12,
            supplier="aguas",
            pack_price_minor=480,
            sale_price_minor=300,
        ),
    )
    item.on_hand = 11
    s.add(
        StockMove(
            id="seed-water",
            item_id=item.id,
            kind=MoveKind.RECEIVED.value,
            quantity=11,
            on_hand_after=11,
            reservation_id=None,
            place="",
            order_id=None,
            at=utcnow(),
            by="test",
        )
    )


def _punches(s: Session) -> None:
    """Fang's card and a day of punches this week: in, out for lunch, back, and no way out yet."""
    now = utcnow()
    s.add(
        StaffCard(
            credential_id="00000000000000f1",
            site="hotel",
            username="fang",
            role="housekeeping",
            areas=0x180,
            shift_start=time(7),
            issued_at=now,
            valid_until=now + timedelta(days=90),
            revoked_at=None,
            card="",
        )
    )
    zone = ZoneInfo("Europe/Madrid")
    today = local_today(now, "Europe/Madrid")
    for n, hour in enumerate((8, 10, 11)):
        at = datetime.combine(today, time(hour), zone)
        s.add(
            StaffPunch(
                id=f"punch-{n}",
                site="hotel",
                clock="clock-1",
                credential_id="00000000000000f1",
                username="fang",
                at=at,
                accepted=True,
                reason="granted",
            )
        )


def _seed(url: str, keys: Path, *, secret: str) -> tuple[str, str]:
    engine = sealed_engine(url, secret=secret)
    upgrade(engine)
    passwords = Passwords(AuthSettings(argon2_memory_kib=19456, argon2_time_cost=2, argon2_parallelism=1))
    with make_sessionmaker(engine)() as s, s.begin():
        stay = _check_in_tonight(s, language="es", name="Lucía Fernández", keys=keys)
        for username, role in STAFF.items():
            create_staff(
                s,
                actor="test",
                passwords=passwords,
                username=username,
                display_name=username.title(),
                password=PASSWORD,
                role=role,
                site="hotel",
                chain=DEMO_CHAIN,
            )
        _operations(s, stay)
        _punches(s)
        long_stay = _long_stay(s, keys)
    engine.dispose()
    return stay, long_stay


@contextmanager
def house_server() -> Iterator[HouseServer]:
    directory = Path(tempfile.mkdtemp(prefix="posada-house-"))
    port = free_port()
    env = {
        **os.environ,
        "POSADA_DATABASE_URL": f"sqlite:///{directory / 'cloud.db'}",
        "POSADA_MQTT_ENABLED": "false",
        "POSADA_ARGON2_MEMORY_KIB": "19456",
        "POSADA_ARGON2_TIME_COST": "2",
        "POSADA_ARGON2_PARALLELISM": "1",
        "POSADA_SECRET_KEY": "browser-house-secret-key-0123456789",
        "POSADA_KEYS_DIR": str(directory / "keys"),
        "POSADA_BILLING_TAXES": json.dumps(TAXES),
    }
    stay, long_stay = _seed(env["POSADA_DATABASE_URL"], directory / "keys", secret=env["POSADA_SECRET_KEY"])
    with running_portal(env, port=port, log_path=directory / "server.log") as url:
        yield HouseServer(url=url, stay=stay, directory=directory, secret=env["POSADA_SECRET_KEY"],
                          long_stay=long_stay)


def next_free_hour(now_local_hour: int) -> tuple[int, timedelta]:
    """A slot start today (or 10:00 tomorrow when today is nearly over), as (hour, days ahead)."""
    if now_local_hour + 1 <= 21:
        return now_local_hour + 1, timedelta(0)
    return 10, timedelta(days=1)
