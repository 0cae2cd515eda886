"""A keycard the node encoded during an outage becomes, on replay, the stay's credential in the
cloud (the record a card issued by the cloud makes: its room, its sequence, the stay), so the
stay's card list shows it, check-out revokes it at the doors, and a sequence the cloud started
meanwhile is shared rather than started twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.auth.models import AuditEntry
from cloud.billing.node_series import reserve_node_series
from cloud.billing.settings import BillingSettings
from cloud.cards.stay_cards import cards_of
from cloud.catalog.models import Room
from cloud.commands.models import Command
from cloud.core.db import make_sessionmaker
from cloud.node.replay import NodeEvent, replay
from cloud.node.replica import snapshot
from cloud.node.sql_desk import SqlDesk
from cloud.node.sql_view import SqlCloudView
from cloud.node.store import SqlLedger
from cloud.reservations.models import Reservation, RoomAllocation, StayCredential
from cloud.reservations.sales.booking import Booking, book
from cloud.setup.demo import seed_demo
from mqtt.envelope import new_id
from mqtt.node_messages import OPERATIONS, CardEncoded, CheckedOut, CheckIn, NodeOperation, PaymentTaken

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
D0, D2 = date(2027, 3, 1), date(2027, 3, 3)
UNTIL = datetime(2027, 3, 3, 12, tzinfo=UTC)


@pytest.fixture
def sessions(sqlite_only: Engine) -> sessionmaker[Session]:
    maker: sessionmaker[Session] = make_sessionmaker(sqlite_only)
    with maker.begin() as s:
        seed_demo(s)
    return maker


def _book(s: Session) -> tuple[str, str, int]:
    res = book(
        s,
        Booking(
            property="hotel", room_type="std", rate_plan="flex", arrival=D0, departure=D2, guest_name="Ana"
        ),
        now=NOW,
    )
    s.flush()
    alloc = s.scalars(select(RoomAllocation).where(RoomAllocation.reservation_id == res.id)).one()
    room = s.get(Room, alloc.room_id)
    assert room is not None
    return res.id, room.slug, room.id


class _Seq:
    def __init__(self) -> None:
        self.seq = 0

    def events(self, ops: list[NodeOperation]) -> list[NodeEvent]:
        type_of = {model: name for name, model in OPERATIONS.items()}
        found = []
        for op in ops:
            self.seq += 1
            found.append(NodeEvent(id=new_id(), seq=self.seq, type=type_of[type(op)], op=op))
        return found


def _replay(sessions: sessionmaker[Session], events: list[NodeEvent]) -> None:
    with sessions.begin() as s:
        replay(
            events,
            node="desk-pc",
            view=SqlCloudView(s, site="hotel"),
            desk=SqlDesk(s, site="hotel", settings=BillingSettings()),
            ledger=SqlLedger(s, site="hotel", now=NOW),
        )


def _card(res: str, room: str, *, sequence: int, credential: str) -> CardEncoded:
    return CardEncoded(
        at=NOW + timedelta(minutes=5),
        staff="ana",
        reservation_id=res,
        credential_id=credential,
        key_id=0xF001,
        room=room,
        valid_until=UNTIL,
        sequence=sequence,
    )


def test_a_node_card_is_the_stays_credential_and_check_out_revokes_it(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        series = reserve_node_series(s, site="hotel", node="desk-pc", base="INV", now=NOW)
        res, room, room_id = _book(s)
        sequence = next(
            r.sequence for r in snapshot(s, site="hotel", node="desk-pc", now=NOW).rooms if r.room == room
        )
    numbering = _Seq()
    check_in = CheckIn(
        at=NOW,
        reservation_id=res,
        room=room,
        room_type="std",
        arrival=D0,
        departure=D2,
        rate_minor=9000,
        currency="EUR",
    )
    card = _card(res, room, sequence=sequence + 1, credential="00000000000000a1")
    _replay(sessions, numbering.events([check_in, card]))
    with sessions() as s:
        found = s.get(StayCredential, "00000000000000a1")
        assert found is not None
        assert (found.reservation_id, found.room_id, found.sequence, found.guest) == (
            res,
            room_id,
            sequence + 1,
            1,
        )
        assert found.starts_sequence and found.revoked_at is None and found.encoded_at == card.at
        stay = s.get(Reservation, res)
        assert stay is not None and [c.id for c in cards_of(s, stay)] == ["00000000000000a1"]
        entries = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == "00000000000000a1"))
        assert [(e.action, e.actor) for e in entries if e.action == "card.issue"] == [
            ("card.issue", "node:desk-pc:ana")
        ]
        # the replica names it now: the node's next card must supersede it
        again = snapshot(s, site="hotel", node="desk-pc", now=NOW)
        assert next(r.sequence for r in again.rooms if r.room == room) == sequence + 1
        assert [c.credential_id for c in again.cards] == ["00000000000000a1"]

    pay = PaymentTaken(
        at=NOW, reservation_id=res, payment_id=new_id(), method="cash", amount_minor=18000, currency="EUR"
    )
    out = CheckedOut(
        at=NOW + timedelta(days=2),
        reservation_id=res,
        invoice_id=new_id(),
        series=series,
        number=1,
        total_minor=18000,
        currency="EUR",
    )
    later = numbering.events([pay, out])
    _replay(sessions, later)
    _replay(sessions, later)  # a second reconnect changes nothing
    with sessions() as s:
        found = s.get(StayCredential, "00000000000000a1")
        assert found is not None and found.revoked_at == out.at
        revokes = [
            c.data
            for c in s.scalars(select(Command).where(Command.type == "credential.revoke"))
            if c.data.get("credential_id") == "00000000000000a1"
        ]
        assert len(revokes) == 1
        assert s.get(Reservation, res).status == "checked_out"  # type: ignore[union-attr]


def test_a_sequence_the_cloud_started_meanwhile_is_shared_and_an_older_card_is_revoked(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        res, room, room_id = _book(s)
        # the cloud's own card of this stay (sequence 1), then a card of the room it started online
        s.add(
            StayCredential(
                id="00000000000000c1",
                reservation_id=res,
                room_id=room_id,
                issued_at=NOW,
                valid_until=UNTIL,
                sequence=1,
                guest=1,
                starts_sequence=True,
            )
        )
        s.add(
            StayCredential(
                id="00000000000000c2",
                reservation_id=res,
                room_id=room_id,
                issued_at=NOW,
                valid_until=UNTIL,
                sequence=2,
                guest=1,
                starts_sequence=True,
            )
        )
    numbering = _Seq()
    check_in = CheckIn(
        at=NOW,
        reservation_id=res,
        room=room,
        room_type="std",
        arrival=D0,
        departure=D2,
        rate_minor=9000,
        currency="EUR",
    )
    _replay(
        sessions,
        numbering.events([check_in, _card(res, room, sequence=2, credential="00000000000000a2")]),
    )
    with sessions() as s:
        node_card = s.get(StayCredential, "00000000000000a2")
        assert node_card is not None and node_card.sequence == 2 and not node_card.starts_sequence
        older = s.get(StayCredential, "00000000000000c1")
        assert older is not None and older.revoked_at is not None  # superseded, as a re-key does
        same = s.get(StayCredential, "00000000000000c2")
        assert same is not None and same.revoked_at is None  # shares the sequence: keeps opening


def test_the_tags_uid_the_node_reported_is_on_the_cards_record(sessions: sessionmaker[Session]) -> None:
    from cloud.cards.stay_cards import card_out

    with sessions.begin() as s:
        res, room, _room_id = _book(s)
    check_in = CheckIn(
        at=NOW, reservation_id=res, room=room, room_type="std", arrival=D0, departure=D2,
        rate_minor=9000, currency="EUR",
    )
    card = _card(res, room, sequence=7, credential="00000000000000a3").model_copy(
        update={"uid": "04a2b3c4d5e6f7"}
    )
    _replay(sessions, _Seq().events([check_in, card]))
    with sessions() as s:
        found = s.get(StayCredential, "00000000000000a3")
        assert found is not None and found.encoded_uid == "04a2b3c4d5e6f7"
        shown = card_out(s, found, now=NOW + timedelta(minutes=6))
        assert (shown.status, shown.encoded_uid) == ("encoded", "04a2b3c4d5e6f7")  # as the cloud's own
        issued = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_id == "00000000000000a3", AuditEntry.action == "card.issue"
            )
        ).one()
        assert issued.detail["uid"] == "04a2b3c4d5e6f7"


@pytest.mark.parametrize("uid", ["04A2B3C4D5E6F7", "04a2b3", "04a2b3c4d5e6f7zz", "04:a2:b3:c4", "", "0" * 16])
def test_the_contract_refuses_a_malformed_tag_uid(uid: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="uid"):
        good = _card("r1", "101", sequence=1, credential="00000000000000a4").model_dump(mode="json")
        CardEncoded.model_validate({**good, "uid": uid})
