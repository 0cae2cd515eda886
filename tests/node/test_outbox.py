"""The node's outbox: operations kept in order until confirmed, and nothing lost when the
node is killed (SIGKILL) right after the desk was told an operation was done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from mqtt.node_messages import CheckIn, PaymentTaken
from node.outbox import NodeOutbox

pytestmark = pytest.mark.unit
AT = datetime(2026, 12, 3, 22, tzinfo=UTC)


def _pay(n: int) -> PaymentTaken:
    return PaymentTaken(
        at=AT, reservation_id=f"r{n}", payment_id=f"p{n}", method="cash", amount_minor=100 * n, currency="EUR"
    )


def test_operations_come_out_in_order_until_confirmed(tmp_path: Path) -> None:
    box = NodeOutbox(tmp_path / "node.db")
    entries = [box.record("node.payment", _pay(n), at=AT) for n in range(1, 6)]
    assert [e.seq for e in box.after(0, limit=10)] == [1, 2, 3, 4, 5]
    box.mark_sent([1, 2], at=1.0)
    assert box.confirm(ids=[entries[0].id]) == 1
    assert box.confirm(up_to_seq=2) == 1  # only what was sent
    assert box.pending() == (3, AT)
    assert PaymentTaken.model_validate(box.after(0, limit=1)[0].data) == _pay(3)


def test_a_type_that_does_not_fit_its_operation_is_refused(tmp_path: Path) -> None:
    box = NodeOutbox(tmp_path / "node.db")
    with pytest.raises(ValueError, match="not the type"):
        box.record("node.check_in", _pay(1), at=AT)
    assert box.pending() == (0, None)


def test_sequence_numbers_are_never_reused_after_confirmation(tmp_path: Path) -> None:
    box = NodeOutbox(tmp_path / "node.db")
    first = box.record("node.payment", _pay(1), at=AT)
    box.confirm(ids=[first.id])
    box.close()
    again = NodeOutbox(tmp_path / "node.db")
    assert again.record("node.payment", _pay(2), at=AT).seq == 2


def test_node_killed_mid_outage_keeps_every_recorded_operation(tmp_path: Path) -> None:
    path = tmp_path / "node.db"
    script = textwrap.dedent(f"""
        import os, signal, sys
        from datetime import UTC, date, datetime
        from mqtt.node_messages import CheckIn
        from node.outbox import NodeOutbox
        box = NodeOutbox({str(path)!r})
        at = datetime(2026, 12, 3, 22, tzinfo=UTC)
        for n in range(1, 16):
            op = CheckIn(at=at, reservation_id=f"w{{n}}", walk_in=True, room=str(100 + n),
                         room_type="double", arrival=date(2026, 12, 3),
                         departure=date(2026, 12, 5), rate_minor=9000, currency="EUR")
            box.record("node.check_in", op, at=at)
            print(n, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL
    told = [int(line) for line in done.stdout.split()]
    kept = NodeOutbox(path).after(0, limit=100)
    assert [e.seq for e in kept] == told == list(range(1, 16))
    assert CheckIn.model_validate(kept[-1].data).room == "115"
    assert date(2026, 12, 3) == CheckIn.model_validate(kept[0].data).arrival


def test_check_outs_are_numbered_without_gap_each_with_its_event(tmp_path: Path) -> None:
    box = NodeOutbox(tmp_path / "node.db")
    numbers = [
        box.check_out(
            reservation_id=f"r{n}", series="INV-N-DESK-PC", total_minor=100, currency="EUR", at=AT
        ).number
        for n in range(3)
    ]
    assert numbers == [1, 2, 3]
    assert [e.type for e in box.after(0, limit=10)] == ["node.check_out"] * 3


def test_a_check_out_that_fails_takes_no_number(tmp_path: Path) -> None:
    box = NodeOutbox(tmp_path / "node.db")
    with pytest.raises(ValueError):  # refused by the contract before anything is written
        box.check_out(reservation_id="r 1", series="INV-N-DESK-PC", total_minor=100, currency="EUR", at=AT)
    assert (
        box.check_out(
            reservation_id="r1", series="INV-N-DESK-PC", total_minor=100, currency="EUR", at=AT
        ).number
        == 1
    )
    assert box.pending()[0] == 1
