"""The outage a property node lives through: a property with booked guests, its desk's work
while the broker is down, and the gateway that opens doors with the node's delegated key."""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cloud.cards.signing import CardRequest, issue
from cloud.keys.delegation import delegate
from cloud.keys.keyring import Keyring, SigningKey
from cloud.node.seal import GuestData
from edge.access.commands import apply_command
from edge.access.decision import Decision, decide
from edge.access.memory import MemoryAccessState
from edge.access.ports import PublicKey
from edge.access.scope import Door
from edge.clock import TimeReading
from mqtt.access_messages import KeyDelegate
from mqtt.keycard import Kind
from mqtt.node_messages import CardEncoded, CheckIn, NodeOperation, PaymentTaken
from node.app import PropertyNode
from node.outbox import NodeOutbox

NOW = datetime.now(UTC).replace(microsecond=0)
D0 = NOW.astimezone(ZoneInfo("Europe/Madrid")).date()  # the demo hotel's day (its zone), not UTC's
SITE_NO = 7
CURRENCY = "EUR"  # the demo hotel's
SERIES = "INV-N-DESK-PC"
SUB_ID = 0xF001


@dataclass
class Gateway:
    """Floor 1's access state, told of the property key and of the node's delegated key."""

    state: MemoryAccessState = field(default_factory=MemoryAccessState)

    def tap(self, card: bytes, room: int) -> Decision:
        time = TimeReading(at=datetime.now(UTC), trusted=True, not_before=None, offset_s=0.0)
        return decide(
            card, door=Door(site=SITE_NO, floor=room // 100, room=room), time=time, state=self.state
        )


def delegation_and_gateway(public: bytes) -> tuple[KeyDelegate, bytes, Gateway]:
    """The property key vouches for the node's key (``public``); its public half; a gateway
    that holds both."""
    root = SigningKey(1, Ed25519PrivateKey.generate(), NOW - timedelta(days=30))
    command = delegate(Keyring([root]), key_id=SUB_ID, site=SITE_NO, holder="desk-pc", public=public, now=NOW)
    return command, root.public_bytes(), gateway_for(root.public_bytes(), command)


def gateway_for(root_public: bytes, delegation: KeyDelegate) -> Gateway:
    gateway = Gateway()
    gateway.state.put_key(PublicKey(1, root_public))
    outcome = apply_command("d1", "key.delegate", data=delegation, state=gateway.state, now=datetime.now(UTC))
    assert outcome.ok, outcome.error
    return gateway


def killed_mid_outage(argv: list[str]) -> None:
    """A node process checking walk-ins in during the outage, then killed with SIGKILL.

    argv: data dir, broker URL, delegation (JSON), property key (hex), then room:reservation
    pairs. Prints each reservation once the desk was told it is done."""
    from node.app import NodeSettings

    data_dir, url, delegation_json, root_hex, *pairs = argv
    node = PropertyNode(NodeSettings(mqtt_url=url, site="hotel", node="desk-pc", data_dir=Path(data_dir)))
    node.start()  # the broker is down: the link keeps trying
    delegation = KeyDelegate.model_validate_json(delegation_json)
    desk = Desk(
        node.outbox,
        node.card_keyring(now=datetime.now(UTC)),
        gateway_for(bytes.fromhex(root_hex), delegation),
        node=node,
    )
    for pair in pairs:
        room, reservation = pair.split(":")
        desk.check_in(reservation, int(room), walk_in=True, room_type="std", rate=10000)
        print(reservation, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class Desk:
    """The node's desk during the outage: every operation into the outbox first."""

    outbox: NodeOutbox
    keyring: Keyring  # the node's own key within its delegated window
    gateway: Gateway
    cards: int = 0
    node: PropertyNode | None = None

    def record(self, type_: str, op: NodeOperation) -> None:
        self.outbox.record(type_, op, at=NOW)

    def check_in(self, reservation: str, room: int, *, walk_in: bool, room_type: str, rate: int) -> None:
        assert self.node is not None
        guest = GuestData(name=f"Walk-in {reservation[-6:]}", phone="+34600000000")
        op = CheckIn(
            at=NOW,
            staff="ana",
            reservation_id=reservation,
            walk_in=walk_in,
            room=str(room),
            room_type=room_type,
            arrival=D0,
            departure=D0 + timedelta(days=2),
            rate_minor=rate,
            currency=CURRENCY,
            guest_sealed=self.node.walk_in_sealed(reservation, guest) if walk_in else "",
        )
        self.node.check_in(op)  # checked against the node's replica, then recorded
        self.cards += 1
        card = issue(
            CardRequest(
                kind=Kind.GUEST,
                credential_id=0x5000 + self.cards,
                site=SITE_NO,
                valid_from=NOW,
                valid_until=NOW + timedelta(days=2),
                sequence=1,
                guest=1,
                floor=room // 100,
                rooms=(room,),
            ),
            keyring=self.keyring,
            now=NOW,
        )
        assert self.gateway.tap(card.data, room).granted
        self.record(
            "node.card",
            CardEncoded(
                at=NOW,
                reservation_id=reservation,
                credential_id=card.card.credential_ref,
                key_id=SUB_ID,
                room=str(room),
                valid_until=card.card.valid_until,
            ),
        )
        self.record(
            "node.payment",
            PaymentTaken(
                at=NOW,
                reservation_id=reservation,
                payment_id=f"p-{reservation}",
                method="cash" if walk_in else "terminal",
                amount_minor=5000,
                currency=CURRENCY,
            ),
        )

    def check_out(self, reservation: str) -> None:
        """The node numbers the invoice in its own series, with the event (``node`` given)."""
        assert self.node is not None
        self.node.check_out(reservation, total_minor=20000, currency=CURRENCY)


if __name__ == "__main__":
    killed_mid_outage(sys.argv[1:])
