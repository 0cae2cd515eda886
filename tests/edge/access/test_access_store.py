"""The sqlite-utils access store: shared by threads, purged of what has expired."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from access_fixtures import SITE, T0, Desk, trusted

from edge.access.commands import apply_command
from edge.access.decision import Reason, decide
from edge.access.ports import StoredCredential
from edge.access.scope import Door
from edge.access.store import open_state
from mqtt.messages import CredentialRevoke

ROOM = Door(site=SITE, floor=3, room=301)
NOW = T0 + timedelta(hours=1)


def test_door_threads_and_the_command_thread_share_one_store(tmp_path: Path) -> None:
    desk = Desk()
    state = open_state(tmp_path / "gw.db")
    state.put_key(desk.public)
    cards = [desk.card(sequence=1) for _ in range(40)]
    errors: list[BaseException] = []

    def revoke_all() -> None:
        try:
            for n in range(1001, 1041):
                apply_command(f"c{n}", "credential.revoke", state=state, now=NOW,
                              data=CredentialRevoke(credential_id=f"{n:016x}"))
        except BaseException as exc:  # reported below, never swallowed
            errors.append(exc)

    writer = threading.Thread(target=revoke_all)
    writer.start()
    reasons = {decide(c, door=ROOM, time=trusted(NOW), state=state).reason for c in cards * 5}
    writer.join()
    assert not errors
    assert reasons <= {Reason.GRANTED, Reason.REVOKED}
    assert all(decide(c, door=ROOM, time=trusted(NOW), state=state).reason is Reason.REVOKED
               for c in cards)


def test_purge_forgets_expired_revocations_and_credentials(tmp_path: Path) -> None:
    state = open_state(tmp_path / "gw.db")
    state.revoke("a" * 16, until=NOW, at=T0)
    state.revoke("b" * 16, until=None, at=T0)
    for cid, until in (("c" * 16, NOW), ("d" * 16, NOW + timedelta(days=1))):
        state.put_credential(StoredCredential(cid, "guest", 1, 3, (301,), 1, 1, until, b"x"))
    assert state.purge(now=NOW) == 1
    assert not state.is_revoked("a" * 16) and state.is_revoked("b" * 16)
    left = [r["credential_id"] for r in state.db.query("SELECT credential_id FROM credentials")]
    assert left == ["d" * 16]


def test_purge_forgets_command_ids_only_after_the_redelivery_window(tmp_path: Path) -> None:
    from edge.access.memory import MemoryAccessState
    from edge.access.ports import COMMAND_MEMORY, AppliedCommand

    for state in (MemoryAccessState(), open_state(tmp_path / "gw.db")):
        state.record_applied(AppliedCommand("old", "credential.revoke", True), at=T0)
        state.record_applied(AppliedCommand("new", "credential.revoke", True), at=NOW)
        state.purge(now=T0 + COMMAND_MEMORY + timedelta(minutes=1))
        assert state.applied("old") is None and state.applied("new") is not None
