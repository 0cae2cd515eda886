"""The demo's front desk: simulated guests are booked and checked in through the cloud's real
reservation flow, and get the card the cloud signs for their room."""

from __future__ import annotations

import base64
import logging
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from cloud.catalog.models import Property, Room, RoomType
from cloud.commands.models import Command
from cloud.core.nights import local_today
from cloud.reservations.models import Reservation, StayCredential
from cloud.reservations.sales.booking import Booking, book
from cloud.reservations.stays.rooms import move
from cloud.reservations.stays.service import check_in
from cloud.services import PosadaApp
from mqtt.envelope import utcnow

log = logging.getLogger(__name__)
NAMES = ["Ana García", "Li Wei", "John Smith", "María López", "Chen Jing", "Emma Brown", "Luis Pérez",
         "Wang Fang", "Olivia Jones", "Carmen Ruiz"]


class DemoFrontDesk:
    def __init__(self, app: PosadaApp, *, site: str = "hotel") -> None:
        self.services = app.services
        self.sessions = app.services.sessions
        self.issuer = app.services.issuer
        self.site = site
        self._lock = threading.Lock()
        self._guests = 0

    def card_for(self, room_slug: str) -> bytes:
        """Book two nights for a walk-in guest, put them in this room, check in, return the card."""
        with self._lock, self.sessions.begin() as session:
            now = utcnow()
            prop = session.scalars(select(Property).where(Property.slug == self.site)).one()
            room = session.scalars(select(Room).where(Room.property_id == prop.id,
                                                      Room.slug == room_slug)).one()
            res = self._in_house(session, room) or self._walk_in(session, prop, room, now)
            if res.status == "booked":
                check_in(session, res, issuer=self.issuer, now=now)
            card = self._latest_card(session, res, room)
        if self.services.publisher is not None:
            self.services.publisher.poke()
        return card

    def _walk_in(self, session: Any, prop: Property, room: Room, now: Any) -> Reservation:
        type_code = session.get(RoomType, room.room_type_id).code
        today = local_today(now, prop.timezone)
        self._guests += 1
        res = book(session, Booking(property=prop.slug, room_type=type_code, rate_plan="flex",
                                    arrival=today, departure=today + timedelta(days=2),
                                    guest_name=NAMES[self._guests % len(NAMES)], assign=False), now=now)
        move(session, res, room=room)
        return res

    def _in_house(self, session: Any, room: Room) -> Reservation | None:
        """A guest already in this room (a demo restarted on its old data) gets a fresh card."""
        found: Reservation | None = session.scalars(
            select(Reservation).join(StayCredential, StayCredential.reservation_id == Reservation.id)
            .where(StayCredential.room_id == room.id, Reservation.status == "checked_in")
            .order_by(StayCredential.issued_at.desc()).limit(1)).first()
        return found

    def _latest_card(self, session: Any, res: Reservation, room: Room) -> bytes:
        credential = session.scalars(select(StayCredential).where(
            StayCredential.reservation_id == res.id, StayCredential.room_id == room.id)
            .order_by(StayCredential.sequence.desc()).limit(1)).one()
        command = session.scalars(select(Command).where(
            Command.type == "credential.upsert",
            Command.data["credential_id"].as_string() == credential.id).limit(1)).first()
        if command is None:
            raise LookupError(f"no card was sent for credential {credential.id}")
        text = command.data["card"]
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


DESK_STATION = "desk-1"


def start_desk_agent(app: PosadaApp, *, url: str,
                     station: str = DESK_STATION) -> tuple[Any, threading.Thread]:
    """The demo's desk station: the real desk agent, signed in as the demo front desk with an API
    token, writing with the simulated NTAG writer (a blank card is laid down for every job)."""
    from cloud.auth.accounts import principal_of
    from cloud.auth.models import StaffUser
    from cloud.auth.sessions import issue_api_token
    from edge.desk.agent import AgentSettings, DeskAgent
    from edge.desk.client import DeskClient
    from edge.desk.simulated import SimulatedTray
    from edge.hw.nfc_sim import SimulatedReader

    auth = app.services.auth
    with auth.sessionmaker() as session, session.begin():
        clerk = session.scalars(select(StaffUser).where(StaffUser.username == "demo-front-desk")).one()
        token, _ = issue_api_token(session, principal=principal_of(session, clerk), name=f"demo {station}",
                                   now=utcnow(), settings=auth.settings)
    reader = SimulatedReader()
    # Short polls: the demo's HTTP server stops only once the poll in flight has ended (a job
    # still comes within the cloud's half-second check; each poll is one more cheap request).
    agent = DeskAgent(DeskClient(url=url, token=token, site="hotel", station=station), reader,
                      tray=SimulatedTray(reader, delay_s=1.0), settings=AgentSettings(wait_s=2))
    thread = threading.Thread(target=agent.run, name=f"desk-{station}", daemon=True)
    thread.start()
    log.info("desk station %s encodes cards with the simulated writer", station)
    return agent, thread
