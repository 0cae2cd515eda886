"""What the desk is told of the sync, in its language, and what the node remembers of it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloud.node.banner import BannerKind, SyncState, banner, replica_note
from cloud.node.replica_delta import ReplicaBehind, diff
from mqtt.node_messages import ConflictItem, NodeConflicts, NodeReplica, PaymentTaken, ReplicaRoom
from node.outbox import NodeOutbox
from node.status import NodeStatus

pytestmark = pytest.mark.unit
SINCE = datetime(2026, 12, 3, 21, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tag", "text"),
    [
        ("en", "Offline since Dec 3, 2026, 10:05:00\u202fPM, 4 changes waiting"),
        ("es", "Sin conexión desde 3 dic 2026, 22:05:00, 4 cambios pendientes"),
        ("zh-Hans", "自 2026年12月3日 22:05:00 起离线\uff0c4 项更改待同步"),
    ],
)
def test_offline_banner_says_since_when_and_how_much_waits(tag: str, text: str) -> None:
    state = SyncState(online=False, offline_since=SINCE, waiting=4, conflicts=1)
    shown = banner(state, tag=tag, time_zone="Europe/Madrid")
    assert shown.kind is BannerKind.OFFLINE and shown.text == text


def test_online_banner_goes_from_waiting_to_conflicts_to_synchronised() -> None:
    def text(waiting: int, conflicts: int) -> str:
        state = SyncState(online=True, offline_since=None, waiting=waiting, conflicts=conflicts)
        return banner(state, tag="en", time_zone="UTC").text

    assert text(1, 2) == "1 change waiting to synchronise"
    assert text(0, 1) == "1 conflict needs staff"
    assert text(0, 0) == "All synchronised"


def test_status_survives_a_restart_and_counts_conflicts_per_reservation(tmp_path: Path) -> None:
    path = tmp_path / "node.db"
    status, outbox = NodeStatus(path), NodeOutbox(path)
    status.link_changed(False, at=SINCE)
    status.link_changed(False, at=datetime(2026, 12, 3, 23, tzinfo=UTC))  # still the first
    outbox.record(
        "node.payment",
        PaymentTaken(
            at=SINCE, reservation_id="w1", payment_id="p1", method="cash", amount_minor=1, currency="EUR"
        ),
        at=SINCE,
    )
    status.conflicts_received(
        NodeConflicts(
            replayed_seq=3,
            items=[
                ConflictItem(event_id="e1", reservation_id="w1", rule="room_sold_twice"),
                ConflictItem(event_id="e2", reservation_id="w1", rule="held"),
            ],
        )
    )
    again = NodeStatus(path)
    assert again.state(outbox) == SyncState(online=False, offline_since=SINCE, waiting=1, conflicts=1)
    again.link_changed(True, at=SINCE)
    assert again.offline_since() is None


@pytest.mark.parametrize(
    ("tag", "text"),
    [
        ("en", "Bookings as of Dec 3, 2026, 10:05:00\u202fPM"),
        ("es", "Reservas a fecha de 3 dic 2026, 22:05:00"),
        ("zh-Hans", "预订信息截至 2026年12月3日 22:05:00"),
    ],
)
def test_desk_is_told_how_old_its_bookings_are(tag: str, text: str) -> None:
    state = SyncState(online=False, offline_since=SINCE, waiting=0, conflicts=0, replica_as_of=SINCE)
    assert replica_note(state, tag=tag, time_zone="Europe/Madrid") == text
    never = SyncState(online=True, offline_since=None, waiting=0, conflicts=0)
    assert replica_note(never, tag="en", time_zone="UTC") == "No bookings from the cloud yet"


def _picture(version: int, rooms: list[str]) -> NodeReplica:
    return NodeReplica(
        as_of=SINCE,
        first_night=SINCE.date(),
        days=7,
        version=version,
        rooms=[ReplicaRoom(room=r, room_type="std") for r in rooms],
    )


def test_the_replica_follows_its_deltas_across_a_restart_and_knows_when_it_is_behind(tmp_path: Path) -> None:
    path = tmp_path / "node.db"
    status = NodeStatus(path)
    with pytest.raises(ReplicaBehind):  # nothing held yet: the whole picture is needed
        status.replica_delta_received(diff(_picture(1, []), _picture(2, ["101"])))
    status.replica_received(_picture(1, ["101"]))
    status.replica_delta_received(diff(_picture(1, ["101"]), _picture(2, ["101", "102"])))
    again = NodeStatus(path)  # a restart
    replica = again.replica()
    assert replica is not None and replica.version == 2 and [r.room for r in replica.rooms] == ["101", "102"]
    again.replica_delta_received(diff(_picture(1, ["101"]), _picture(2, ["101", "102"])))  # redelivered
    with pytest.raises(ReplicaBehind):  # one lost on the way
        again.replica_delta_received(diff(_picture(3, ["101"]), _picture(4, ["103"])))
    assert again.replica() == replica  # nothing half-applied


def test_card_sequences_rise_above_the_clouds_and_the_nodes_own(tmp_path: Path) -> None:
    status = NodeStatus(tmp_path / "node.db")
    assert status.next_card_sequence("101", at_least=3) == 4
    assert status.next_card_sequence("101", at_least=3) == 5
    assert status.next_card_sequence("101", at_least=9) == 10
    assert NodeStatus(tmp_path / "node.db").next_card_sequence("101", at_least=0) == 11
