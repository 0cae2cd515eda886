"""The cloud's node ingest treats every node payload as hostile: what does not decode is refused
and counted, nothing of it is stored, the rest of the batch goes on; a redelivered batch adds
nothing. The link is a stand-in here (tests/integration/test_node_outage.py runs a real one)."""

from __future__ import annotations

import json
import queue
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from cloud.core.db import make_sessionmaker
from cloud.ingest.link import Inbound
from cloud.node.ingest import NodeIngest
from cloud.node.models import NodeEvent

GOLDEN = Path(__file__).parents[2] / "mqtt" / "golden" / "events-node.check_in.json"
TOPIC = "posada/v1/hotel/nodes/desk-pc/events"


class StandInLink:
    def __init__(self) -> None:
        self.inbox: queue.Queue[Inbound] = queue.Queue()
        self.acked: list[int] = []
        self.published: list[tuple[str, bytes]] = []

    def ack(self, mid: int, qos: int) -> None:
        self.acked.append(mid)

    def publish(self, topic: str, payload: bytes, *, qos: int = 1, retain: bool = False) -> None:
        self.published.append((topic, payload))


def _good(seq: int) -> bytes:
    raw = json.loads(GOLDEN.read_text())
    raw["id"], raw["seq"] = f"01JEX00000000000000000{seq:04d}", seq
    return json.dumps(raw).encode()


HOSTILE = [
    (TOPIC, b"\xff\xfe"),
    (TOPIC, b'{"v":1,"type":"node.check_in","source":"x","data":{"room":"../../"}}'),
    (TOPIC, _good(9).replace(b'"seq": 9', b'"seq": 0')),
    ("posada/v1/hotel/nodes/Desk PC/events", _good(7)),
    ("posada/v1/hotel/nodes/desk-pc/telemetry", _good(6)),
]


@pytest.mark.parametrize(("topic", "payload"), HOSTILE)
def test_hostile_node_payload_is_refused_and_nothing_stored(
    sqlite_only: Engine, topic: str, payload: bytes
) -> None:
    link = StandInLink()
    ingest = NodeIngest(link, make_sessionmaker(sqlite_only))  # type: ignore[arg-type]
    ingest.handle([Inbound(topic, payload, 1, 1), Inbound(TOPIC, _good(1), 2, 1)])
    assert ingest.rejected == 1 and link.acked == [1, 2]
    with make_sessionmaker(sqlite_only)() as s:
        assert s.scalar(select(func.count()).select_from(NodeEvent)) == 1
    ((confirm_topic, confirmation),) = link.published
    assert confirm_topic == "posada/v1/hotel/nodes/desk-pc/cmd"
    assert json.loads(confirmation)["data"]["ids"] == ["01JEX000000000000000000001"]


def test_a_redelivered_batch_adds_nothing_and_is_confirmed_again(sqlite_only: Engine) -> None:
    link = StandInLink()
    ingest = NodeIngest(link, make_sessionmaker(sqlite_only))  # type: ignore[arg-type]
    batch = [Inbound(TOPIC, _good(n), n, 1) for n in (1, 2)]
    ingest.handle(batch)
    ingest.handle(batch)
    with make_sessionmaker(sqlite_only)() as s:
        assert s.scalar(select(func.count()).select_from(NodeEvent)) == 2
    assert len(link.published) == 2 and link.acked == [1, 2, 1, 2]


@pytest.mark.parametrize(
    "payload",
    [
        _good(1).replace(b'"node.check_in"', b'"node.teleport"'),
        _good(1).replace(b'"room": "305"', b'"room": "../../etc"'),
    ],
)
def test_unreadable_event_in_order_is_dead_lettered_and_the_rest_goes_on(
    sqlite_only: Engine, payload: bytes
) -> None:
    from cloud.node.conflicts import Action, Rule
    from cloud.node.memory import MemoryLedger
    from cloud.node.replay import replay
    from cloud.node.store import unreplayed
    from tests.cloud.node.fake_cloud import FakeCloud

    link = StandInLink()
    ingest = NodeIngest(link, make_sessionmaker(sqlite_only))  # type: ignore[arg-type]
    ingest.handle([Inbound(TOPIC, payload, 1, 1), Inbound(TOPIC, _good(2), 2, 1)])
    assert (ingest.rejected, ingest.dead_lettered) == (0, 1)
    assert len(json.loads(link.published[0][1])["data"]["ids"]) == 2  # both confirmed
    with make_sessionmaker(sqlite_only)() as s:
        events = unreplayed(s, site="hotel", node="desk-pc", after_seq=0)
    ledger, cloud = MemoryLedger(), FakeCloud()
    report = replay(events, node="desk-pc", view=cloud, desk=cloud, ledger=ledger)
    assert report.findings[0].rule is Rule.REFUSED and ledger.last_seq("desk-pc") == 2
    assert [r.verdict.action for r in ledger.entries] == [Action.HOLD, Action.APPLY]


def test_a_card_with_a_malformed_tag_uid_is_held_with_the_reason_and_no_card_is_stored(
    sqlite_only: Engine,
) -> None:
    from cloud.node.conflicts import Rule
    from cloud.node.memory import MemoryLedger
    from cloud.node.replay import replay
    from cloud.node.store import unreplayed
    from cloud.reservations.models import StayCredential
    from tests.cloud.node.fake_cloud import FakeCloud

    card = json.loads((GOLDEN.parent / "events-node.card.json").read_text())
    card["seq"], card["data"]["uid"] = 1, "04A2B3C4<script>"
    link = StandInLink()
    ingest = NodeIngest(link, make_sessionmaker(sqlite_only))  # type: ignore[arg-type]
    ingest.handle([Inbound(TOPIC, json.dumps(card).encode(), 1, 1), Inbound(TOPIC, _good(2), 2, 1)])
    assert (ingest.rejected, ingest.dead_lettered) == (0, 1)
    with make_sessionmaker(sqlite_only)() as s:
        events = unreplayed(s, site="hotel", node="desk-pc", after_seq=0)
        assert s.scalar(select(func.count()).select_from(StayCredential)) == 0
    report = replay(events, node="desk-pc", view=FakeCloud(), desk=FakeCloud(), ledger=MemoryLedger())
    finding = report.findings[0]
    assert finding.rule is Rule.REFUSED and "uid" in finding.detail and "pattern" in finding.detail
