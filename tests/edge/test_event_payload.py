"""The relay's spliced payloads are the bytes ``json.dumps`` of the envelope gave before."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.event_payload import events_payload
from edge.outbox import OutboxEntry, OutboxRow
from edge.store import Store
from mqtt.batch import batch_json, item_json, item_size
from mqtt.codec import event_json
from mqtt.envelope import SCHEMA_VERSION, rfc3339

TS = "2026-12-04T20:30:00.123456Z"
ODD = ["plain", "ünïcode ñ 中文", "quote \" and \\ backslash", "ctl \x00\x01\x1f\t\n\r\x7f",
       "line sep \u2028\u2029", "emoji \U0001f6aa", "", "</script>", "a" * 300]


def _old_item(*, id: str, type: str, ts: str, seq: int, data_json: str) -> str:
    """``item_json`` as it was: a ``json.dumps`` of the head, the data spliced in."""
    head = json.dumps({"id": id, "type": type, "ts": ts, "seq": seq}, separators=(",", ":"),
                      ensure_ascii=False)
    return f'{head[:-1]},"data":{data_json}}}'


def _old_event(*, id: str, type: str, ts: str, source: str, seq: int, data_json: str) -> bytes:
    """``event_json`` as it was."""
    head = json.dumps({"v": SCHEMA_VERSION, "id": id, "type": type, "ts": ts, "source": source,
                       "seq": seq}, separators=(",", ":"), ensure_ascii=False)
    return f'{head[:-1]},"data":{data_json}}}'.encode()


def _old_batch(rows: list[OutboxRow], *, source: str, batch_id: str) -> bytes:
    items = [_old_item(id=r.id, type=r.type, ts=r.created_text, seq=r.seq, data_json=r.data_json)
             for r in rows]
    payload = json.loads(batch_json(items, source=source, id=batch_id))  # for the batch's own ts
    head = json.dumps({"v": SCHEMA_VERSION, "id": batch_id, "type": "events.batch", "ts": payload["ts"],
                       "source": source}, separators=(",", ":"), ensure_ascii=False)
    return f'{head[:-1]},"data":{{"events":[{",".join(items)}]}}}}'.encode()


def _batch_ts(payload: bytes) -> str:
    return str(json.loads(payload)["ts"])


def _same_batch(new: bytes, rows: list[OutboxRow], *, source: str, batch_id: str) -> None:
    old = _old_batch(rows, source=source, batch_id=batch_id)
    # the batch's own ts is the time it is sent: put the new one's into the old before comparing
    assert new == old.replace(_batch_ts(old).encode(), _batch_ts(new).encode(), 1)


def test_a_mix_of_stored_events_goes_out_as_the_old_bytes(tmp_path: Path) -> None:
    store = Store(tmp_path / "g.db")
    datas: list[dict[str, Any]] = [
        {"detail": text, "n": n} for n, text in enumerate(ODD)
    ] + [{}, {"big": 2**63 - 1, "neg": -1, "f": 1.5e-300, "t": True, "z": None, "l": [1, [2, {}]]}]
    ids = ["01JEXAMPLE0000000000000000", "a-b_c", "é-id", 'q"id', "x" * 64]
    for n, data in enumerate(datas):
        store.append_event(type=ODD[n % len(ODD)] if n % 3 == 0 else "access.granted", data=data,
                           room="101", created=datetime(2026, 1, 1, 0, 0, n, n * 7, tzinfo=UTC),
                           id=ids[n % len(ids)] + str(n))
    rows = store.after(0, limit=100, with_data=False)
    full = store.after(0, limit=100)
    assert len(rows) == len(datas) and all(type(r) is OutboxRow for r in rows)
    for row, entry in zip(rows, full, strict=True):
        old = _old_event(id=row.id, type=row.type, ts=row.created_text, source="gw.hötel.f1",
                         seq=row.seq, data_json=row.data_json)
        assert events_payload([row], source="gw.hötel.f1") == old
        assert events_payload([entry], source="gw.hötel.f1") == old
    new = events_payload(rows, source="gw.hötel.f1", batch_id="B1")
    _same_batch(new, rows, source="gw.hötel.f1", batch_id="B1")
    _same_batch(events_payload(full, source="gw.hötel.f1", batch_id="B1"), rows,
                source="gw.hötel.f1", batch_id="B1")
    assert [e["data"] for e in json.loads(new)["data"]["events"]] == datas
    store.close()


def test_an_entry_without_stored_text_is_formatted_as_before() -> None:
    at = datetime(2026, 12, 4, 20, 30, 1, 5, tzinfo=UTC)
    entry = OutboxEntry(seq=7, id="e7", type="tamper", room=None, data={"ü": "\u2028"}, created=at)
    data_json = json.dumps(entry.data, separators=(",", ":"), ensure_ascii=False)
    old = _old_event(id="e7", type="tamper", ts=rfc3339(at), source="gw", seq=7, data_json=data_json)
    assert events_payload([entry], source="gw") == old


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=40), st.text(max_size=40), st.text(max_size=40),
                          st.integers(min_value=0, max_value=2**63 - 1),
                          st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=3)),
                min_size=1, max_size=6))
def test_any_text_is_escaped_as_json_dumps_escapes_it(
    events: list[tuple[str, str, str, int, dict[str, str]]],
) -> None:
    rows = [OutboxRow(seq, id_, type_, json.dumps(data, separators=(",", ":"), ensure_ascii=False), ts)
            for id_, type_, ts, seq, data in events]
    for r in rows:
        assert item_json(id=r.id, type=r.type, ts=r.created_text, seq=r.seq, data_json=r.data_json) == \
            _old_item(id=r.id, type=r.type, ts=r.created_text, seq=r.seq, data_json=r.data_json)
        assert event_json(id=r.id, type=r.type, ts=r.created_text, source="s\u00e9", seq=r.seq,
                          data_json=r.data_json) == \
            _old_event(id=r.id, type=r.type, ts=r.created_text, source="s\u00e9", seq=r.seq,
                       data_json=r.data_json)
        assert item_size(id=r.id, type=r.type, data_json=r.data_json) == \
            len(r.id) + len(r.type) + len(r.data_json.encode()) + 120
    try:
        new = events_payload(rows, source="gw", batch_id="B")
    except UnicodeEncodeError:  # a lone surrogate: neither the old code nor the new can send it
        return
    if len(rows) > 1:
        _same_batch(new, rows, source="gw", batch_id="B")


def test_a_seq_that_is_not_a_number_is_refused() -> None:
    row = OutboxRow("1,\"x\":2", "e1", "tamper", "{}", TS)  # type: ignore[arg-type]
    try:
        events_payload([row, row], source="gw")
    except ValueError:
        return
    raise AssertionError("a seq that is not an integer went into the payload")
