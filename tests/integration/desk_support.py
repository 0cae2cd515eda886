"""The cloud behind a real HTTP server for desk agents, a checked-in stay, and the agent on a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cloud.app import create_app
from cloud.auth.roles import Role
from cloud.catalog import service as catalog
from cloud.catalog.models import Property
from cloud.core.nights import local_today
from cloud.keys.storage import KeyDirectory
from cloud.reservations.sales import booking
from cloud.reservations.sales.booking import Booking
from cloud.reservations.stays import rooms
from cloud.settings import Settings
from cloud.setup.demo import seed_demo
from edge.desk.agent import AgentSettings, DeskAgent
from edge.desk.client import DeskClient
from edge.desk.simulated import SimulatedTray
from edge.hw.nfc_sim import SimulatedReader
from mqtt.envelope import utcnow
from tests.integration.harness import wait_until
from tests.support.ports import free_port, wait_for_port
from tests.support.staff import sign_in_staff


@dataclass
class DeskCloud:
    url: str
    token: str
    app: FastAPI
    http: httpx.Client

    def stay_in(self, room: str, *, adults: int = 2) -> str:
        """A stay that arrived yesterday (so check-in is never early), put in ``room``, checked in."""
        now = utcnow()
        with self.app.services.sessions.begin() as s:
            prop = s.scalars(select(Property).where(Property.slug == "hotel")).one()
            today = local_today(now, prop.timezone)
            res = booking.book(
                s,
                Booking(
                    property="hotel",
                    room_type=_type_of(s, prop, room),
                    rate_plan="flex",
                    arrival=today - timedelta(days=1),
                    departure=today + timedelta(days=2),
                    adults=adults,
                    guest_name="Ana Ruiz",
                    assign=False,
                ),
                now=now - timedelta(days=1),
            )
            rooms.move(s, res, room=catalog.room_by_slug(s, prop, room))
            res_id = res.id
        checked = self.http.post(f"/api/v1/reservations/{res_id}/check-in")
        assert checked.status_code == 200, checked.text
        return res_id

    def cards(self, res_id: str) -> list[dict[str, Any]]:
        r = self.http.get(f"/api/v1/reservations/{res_id}/cards")
        assert r.status_code == 200, r.text
        listed: list[dict[str, Any]] = r.json()
        return listed

    def card(self, res_id: str, card_id: str) -> dict[str, Any]:
        return next(c for c in self.cards(res_id) if c["id"] == card_id)

    def wait_status(self, res_id: str, card_id: str, status: str, timeout: float = 30) -> dict[str, Any]:
        wait_until(
            lambda: self.card(res_id, card_id)["status"] == status,
            timeout=timeout,
            what=f"card {card_id} {status}",
        )
        return self.card(res_id, card_id)


def _type_of(session: Any, prop: Property, room: str) -> str:
    from cloud.catalog.models import RoomType

    type_ = session.get(RoomType, catalog.room_by_slug(session, prop, room).room_type_id)
    return str(type_.code)


@contextmanager
def desk_cloud(db_url: str, tmp: Path, *, port: int | None = None, **settings: Any) -> Iterator[DeskCloud]:
    """The cloud (SQLite or PostgreSQL, MQTT as ``settings`` say) behind uvicorn, with a front-desk token."""
    settings.setdefault("mqtt_enabled", False)
    KeyDirectory(tmp / "keys").load_or_create(now=utcnow() - timedelta(days=1))  # signs from before the stay
    app = create_app(Settings(database_url=db_url, keys_dir=str(tmp / "keys"), **settings))
    with app.services.sessions.begin() as s:
        seed_demo(s)
    token = sign_in_staff(TestClient(app), site="hotel", role=Role.FRONT_DESK, chain="posada-demo")
    port = port or free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-desk", daemon=True)
    thread.start()
    wait_for_port(port, timeout=30)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=10, headers={"Authorization": f"Bearer {token}"}) as http:
            yield DeskCloud(url=url, token=token, app=app, http=http)
    finally:
        server.should_exit = True
        thread.join(20)


@dataclass
class RunningAgent:
    agent: DeskAgent
    tray: SimulatedTray
    reader: SimulatedReader
    thread: threading.Thread = field(repr=False)


@contextmanager
def running_agent(
    url: str, token: str, *, station: str = "desk-1", tag_timeout_s: float = 3.0, wait_s: float = 2.0
) -> Iterator[RunningAgent]:
    """The real desk agent with the simulated writer, on a thread."""
    reader = SimulatedReader()
    tray = SimulatedTray(reader, delay_s=0.2)
    client = DeskClient(url=url, token=token, site="hotel", station=station)
    agent = DeskAgent(
        client,
        reader,
        tray=tray,
        settings=AgentSettings(
            wait_s=wait_s, tag_timeout_s=tag_timeout_s, backoff_min_s=0.2, backoff_max_s=1.0
        ),
    )
    thread = threading.Thread(target=agent.run, name=f"desk-{station}", daemon=True)
    thread.start()
    try:
        yield RunningAgent(agent=agent, tray=tray, reader=reader, thread=thread)
    finally:
        agent.stop()
        thread.join(wait_s + 15)
        client.close()


def settle(seconds: float = 0.2) -> None:
    time.sleep(seconds)
