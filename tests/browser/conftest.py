"""A real server (uvicorn in a subprocess, own port and database) and Debian's Chromium, per session."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, expect, sync_playwright
from sqlalchemy.orm import Session

from cloud.auth.accounts import create_staff, ensure_property
from cloud.auth.passwords import Passwords
from cloud.auth.roles import Role
from cloud.auth.settings import AuthSettings
from cloud.board.models import Gateway, RoomStatus
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import upgrade
from cloud.guests import lifecycle, registry
from cloud.guests.crypto import keys_from
from cloud.guests.schemas import GuestInput
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault
from mqtt.envelope import utcnow
from tests.support.db import migrated_sqlite
from tests.support.portal import running_portal
from tests.support.ports import free_port

CHROMIUM = "/usr/bin/chromium"
# Assertions wait for the page: 5 s (Playwright's default) is short when two test workers, a
# gateway and the cloud share two cores; a page that never gets there still fails.
expect.set_options(timeout=15_000)
USERS = {
    Role.FRONT_DESK: "lucia",
    Role.HOUSEKEEPING: "fang",
    Role.MAINTENANCE: "jorge",
    Role.MANAGER: "marta",
    Role.CHAIN_ADMIN: "liwei",
    Role.STOREKEEPER: "pedro",
    Role.SPA: "amaia",
}
NAMES = {
    Role.FRONT_DESK: "Lucía Pérez",
    Role.HOUSEKEEPING: "Wang Fang",
    Role.MAINTENANCE: "Jorge Díaz",
    Role.MANAGER: "Marta Ruiz",
    Role.CHAIN_ADMIN: "Li Wei",
    Role.STOREKEEPER: "Pedro Gil",
    Role.SPA: "Amaia Etxeberria",
}
PASSWORD = "correct-horse-battery"
LOCKED_OUT = "olga"  # the throttled sign-in's own account: no other test signs in as her
SHOTS = Path(os.environ.get("POSADA_SCREENSHOTS", tempfile.gettempdir())) / "posada-screenshots"


@dataclass
class Server:
    url: str
    guest_id: str
    directory: Path


def _seed(database_url: str, env: dict[str, str]) -> str:
    engine = make_engine(database_url)
    upgrade(engine)
    passwords = Passwords(  # the server's own parameters: its first sign-in of each has nothing to rehash
        AuthSettings(
            argon2_memory_kib=int(env["POSADA_ARGON2_MEMORY_KIB"]),
            argon2_time_cost=int(env["POSADA_ARGON2_TIME_COST"]),
            argon2_parallelism=int(env["POSADA_ARGON2_PARALLELISM"]),
        )
    )
    cipher, index = keys_from(GuestSettings(secret_key=env["POSADA_SECRET_KEY"]))
    vault = Vault(cipher=cipher, index=index)
    with make_sessionmaker(engine)() as s, s.begin():
        ensure_property(s, site="hotel", chain="acme", name="Hotel", time_zone="Europe/Madrid")
        for role in Role:
            site = None if role is Role.CHAIN_ADMIN else "hotel"
            create_staff(
                s,
                actor="test",
                passwords=passwords,
                username=USERS[role],
                display_name=NAMES[role],
                password=PASSWORD,
                role=role,
                site=site,
                chain="acme",
            )
        create_staff(s, actor="test", passwords=passwords, username=LOCKED_OUT, display_name="Olga Ros",
                     password=PASSWORD, role=Role.HOUSEKEEPING, site="hotel", chain="acme")
        guest = registry.register(
            s,
            vault,
            actor="test",
            site="hotel",
            data=GuestInput.model_validate(
                {
                    "name": "Ana García López",
                    "email": "ana@example.com",
                    "phone": "+34 600 111 222",
                    "document": {"type": "passport", "number": "PA1234567", "country": "ES"},
                    "preferences": {"pillow": "firm", "diet": "vegetarian", "floor": "high"},
                }
            ),
        )
        lifecycle.record_stay(
            s,
            guest=guest,
            site="hotel",
            arrival=date(2026, 3, 1),
            departure=date(2026, 3, 4),
            spend_minor=123450,
            currency="EUR",
            settings=GuestSettings(),
        )
        guest_id = guest.id
        _board(s)
    engine.dispose()
    return guest_id


def _board(session: Session) -> None:
    """A floor that has reported, so the board has something to show."""
    now = utcnow()
    session.add(Gateway(site="hotel", floor="f1", state="online", version="0.1.0", last_seen=now))
    for number, occupied, door in (("101", True, "closed"), ("102", False, "open"), ("103", False, "closed")):
        session.add(
            RoomStatus(
                site="hotel",
                floor="f1",
                room=number,
                occupied=occupied,
                guest_present=occupied,
                door=door,
                lock="locked" if door == "closed" else "unlocked",
                dnd=False,
                housekeeping="clean" if occupied else "dirty",
                updated_at=now,
            )
        )


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    directory = Path(tempfile.mkdtemp(prefix="posada-browser-"))
    port = free_port()
    env = {
        **os.environ,
        "POSADA_DATABASE_URL": migrated_sqlite(directory / "cloud.db"),
        "POSADA_MQTT_ENABLED": "false",
        "POSADA_LOCKOUT_THRESHOLD": "3",
        # The throttled sign-in test's next attempt must come within the first wait: a loaded
        # machine can take longer than the shipped 1 s between two sign-ins of one browser.
        "POSADA_SIGNIN_FIRST_WAIT_SECONDS": "120",
        "POSADA_ARGON2_MEMORY_KIB": "19456",
        "POSADA_ARGON2_TIME_COST": "2",
        "POSADA_ARGON2_PARALLELISM": "1",
        "POSADA_SECRET_KEY": "browser-test-secret-key-0123456789",
    }
    guest_id = _seed(env["POSADA_DATABASE_URL"], env)
    with running_portal(env, port=port, log_path=directory / "server.log") as url:
        yield Server(url=url, guest_id=guest_id, directory=directory)


@pytest.fixture(scope="session")
def playwright_() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError("Debian's chromium is required: apt-get install -y chromium")
    browser = playwright_.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
    )
    yield browser
    browser.close()
