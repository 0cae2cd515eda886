"""The gateway's SQLite store: outbox order, confirmation, durability across reopening."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.event_payload import events_payload
from edge.outbox import OutboxRow
from edge.store import Store
from mqtt.envelope import utcnow


def _store(tmp_path: Path) -> Store:
    return Store(tmp_path / "gw.db")


def _add(store: Store, n: int) -> list[int]:
    return [
        store.append_event(type="tamper", data={"n": i}, room="101", created=utcnow()).seq for i in range(n)
    ]


def test_events_get_increasing_sequences_and_come_back_in_order(tmp_path: Path) -> None:
    store = _store(tmp_path)
    seqs = _add(store, 5)
    assert seqs == [1, 2, 3, 4, 5]
    entries = store.after(2, limit=10)
    assert [e.seq for e in entries] == [3, 4, 5]
    assert entries[0].data == {"n": 2} and entries[0].room == "101"


def test_a_watermark_never_removes_an_event_that_was_not_sent(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store, 4)
    store.mark_sent([1, 2], at=time.time())
    assert store.confirm(up_to_seq=4) == 2
    assert [e.seq for e in store.after(0, limit=10)] == [3, 4]


def test_sequences_are_never_reused_after_confirmation(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store, 3)
    store.mark_sent([1, 2, 3], at=time.time())
    assert store.confirm(up_to_seq=3) == 3
    store.close()
    reopened = _store(tmp_path)
    assert _add(reopened, 1) == [4]
    assert reopened.last_seq() == 4


def test_confirmation_by_ids_and_watermark(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store, 6)
    store.mark_sent(range(1, 7), at=time.time())
    ids = {e.seq: e.id for e in store.after(0, limit=10)}
    assert store.confirm(ids=[ids[5], "unknown"], up_to_seq=2) == 3
    assert [e.seq for e in store.after(0, limit=10)] == [3, 4, 6]
    assert store.confirm(ids=[ids[5]]) == 0


def test_stale_lists_sent_events_past_the_deadline_only(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store, 3)
    now = time.time()
    store.mark_sent([1], at=now - 100)
    store.mark_sent([2], at=now)
    stale = store.stale(sent_before=now - 10, up_to_seq=3, limit=10)
    assert [e.seq for e in stale] == [1]


def test_events_and_rooms_survive_reopening(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store, 2)
    store.save_room("101", {"door": "open"}, at=utcnow())
    store.remember_command("c1", type="room.settings", ok=False, error="nope", at=utcnow())
    store.set_meta("k", "v")
    store.close()
    again = _store(tmp_path)
    assert again.pending_count() == 2
    assert again.rooms() == {"101": {"door": "open"}}
    assert again.command_outcome("c1") == (False, "nope")
    assert again.command_outcome("c2") is None
    assert again.meta("k") == "v"


def test_the_store_runs_in_wal_mode_and_every_durable_commit_waits_for_a_sync(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert store.fetch_one("PRAGMA journal_mode", []) == ("wal",)
    assert store.fetch_one("PRAGMA synchronous", []) == (1,)  # the group commit syncs the WAL
    before = store.group.syncs
    _add(store, 3)
    assert store.group.syncs == before + 3  # one writer alone: one sync per event
    assert store.group.pending == 0


def test_relaxed_writes_wait_for_no_sync_and_the_next_durable_commit_covers_them(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store, 2)
    before = store.group.syncs
    store.mark_sent([1, 2], at=time.time())
    store.confirm(up_to_seq=1)
    assert store.group.syncs == before and store.group.pending == 2
    _add(store, 1)
    assert store.group.syncs == before + 1 and store.group.pending == 0


def test_writers_on_many_threads_share_syncs_and_each_returns_durable(tmp_path: Path) -> None:
    import threading

    store = _store(tmp_path)
    slow_sync = store.group._sync

    def sync() -> None:
        time.sleep(0.005)  # a slow SD card: writers pile up behind one fsync
        slow_sync()

    store.group._sync = sync
    before = store.group.syncs
    undurable: list[int] = []

    def writer() -> None:
        for _ in range(25):
            seq = store.append_event(type="tamper", data={}, room="101", created=utcnow()).seq
            if store.group._synced < seq:  # tickets and seqs both count commits from the start
                undurable.append(seq)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.pending_count() == 200 and not undurable
    assert store.group.syncs - before < 100  # 200 events, far fewer fsyncs


def test_a_failed_transaction_leaves_no_event(tmp_path: Path) -> None:
    store = _store(tmp_path)
    try:
        with store.transaction():
            store.append_event(type="tamper", data={}, room=None, created=utcnow())
            raise RuntimeError("power cut")
    except RuntimeError:
        pass
    assert store.pending_count() == 0
    assert _add(store, 1) == [1]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), max_size=10), st.integers(min_value=1, max_value=40))
def test_confirmation_removes_exactly_what_it_names(picks: list[int], total: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "gw.db")
        _add(store, total)
        ids = {e.seq: e.id for e in store.after(0, limit=100)}
        chosen = {p for p in picks if p in ids}
        store.confirm(ids=[ids[s] for s in chosen])
        assert [e.seq for e in store.after(0, limit=100)] == [
            s for s in range(1, total + 1) if s not in chosen
        ]
        store.close()


def test_confirmations_leave_the_store_fully_synced(tmp_path: Path) -> None:
    store = _store(tmp_path)
    _add(store, 3)
    store.mark_sent([1, 2], at=time.time())
    assert store.confirm(up_to_seq=2) == 2
    store.close()
    assert [e.seq for e in _store(tmp_path).after(0, limit=10)] == [3]


def test_the_relays_lean_read_publishes_the_same_bytes_as_the_full_one(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.append_event(type="tamper", data={"detail": "ünïcode", "n": 1}, room="101", created=utcnow())
    store.append_event(type="door.opened", data={"room": "101"}, room="101", created=utcnow())
    full, lean = store.after(0, limit=10), store.after(0, limit=10, with_data=False)
    assert all(isinstance(e, OutboxRow) for e in lean) and [e.data for e in lean] == [e.data for e in full]
    for entries in ([full[0]], [lean[0]]):
        assert events_payload(entries, source="gw") == events_payload([full[0]], source="gw")
    batch_lean, batch_full = (json.loads(events_payload(x, source="gw"))["data"] for x in (lean, full))
    assert batch_lean == batch_full


def test_an_event_goes_out_with_its_stored_time_as_formatted_at_recording(tmp_path: Path) -> None:
    store = _store(tmp_path)
    for _ in range(2):
        store.append_event(type="tamper", data={"n": 1}, room="101", created=utcnow())
    entries = store.after(0, limit=10, with_data=False)
    assert all(e.created_text for e in entries)
    # formatted from the parsed time instead
    bare = [replace(e, created_text=None) for e in store.after(0, limit=10)]
    assert events_payload(entries[:1], source="gw") == events_payload(bare[:1], source="gw")
    stamps = [item["ts"] for item in json.loads(events_payload(entries, source="gw"))["data"]["events"]]
    assert stamps == [e.created_text for e in entries]
    batches = (json.loads(events_payload(x, source="gw"))["data"] for x in (entries, bare))
    assert next(batches) == next(batches)  # the batch's own ts is its send time: compared apart
