"""The node's own view of its sync: since when it is cut off, what the cloud listed as waiting
for staff. Kept in SQLite beside the outbox, so a restart mid-outage still knows."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from cloud.node.banner import SyncState
from cloud.node.replica_delta import ReplicaBehind, apply
from mqtt.access_messages import KeyDelegate
from mqtt.node_messages import ConflictItem, NodeConflicts, NodeReplica, NodeReplicaDelta
from node.outbox import NodeOutbox

SCHEMA = """
CREATE TABLE IF NOT EXISTS node_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS node_card_sequences (room TEXT PRIMARY KEY, last INTEGER NOT NULL);
"""


class NodeStatus:
    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(SCHEMA)
        self.online = False

    def link_changed(self, online: bool, *, at: datetime) -> None:
        """Remember when the link went down (the first time only), forget it when it is up."""
        self.online = online
        with self._lock:
            if online:
                self._conn.execute("DELETE FROM node_meta WHERE key = 'offline_since'")
            else:
                self._conn.execute(
                    "INSERT OR IGNORE INTO node_meta VALUES ('offline_since', ?)", [at.isoformat()]
                )

    def conflicts_received(self, conflicts: NodeConflicts) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO node_meta VALUES ('conflicts', ?)", [conflicts.model_dump_json()]
            )

    def delegation_received(self, delegation: KeyDelegate) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO node_meta VALUES ('delegation', ?)", [delegation.model_dump_json()]
            )

    def delegation(self) -> KeyDelegate | None:
        raw = self._get("delegation")
        return KeyDelegate.model_validate_json(raw) if raw else None

    def replica_received(self, replica: NodeReplica) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO node_meta VALUES ('replica', ?)", [replica.model_dump_json()]
            )

    def replica_delta_received(self, delta: NodeReplicaDelta) -> None:
        """Apply the cloud's changes to the replica held (ReplicaBehind if they do not follow
        it: the node then asks for the whole picture). A delta seen before changes nothing."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute("SELECT value FROM node_meta WHERE key = 'replica'").fetchone()
                held = NodeReplica.model_validate_json(row[0]) if row else None
                if held is not None and held.version >= delta.version:
                    self._conn.execute("COMMIT")
                    return  # a redelivery
                if held is None:
                    raise ReplicaBehind(0, delta.base)
                after = apply(held, delta)
                self._conn.execute(
                    "INSERT OR REPLACE INTO node_meta VALUES ('replica', ?)", [after.model_dump_json()]
                )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    def replica(self) -> NodeReplica | None:
        """What the desk knows of the cloud (rooms, stays), and as of when."""
        raw = self._get("replica")
        return NodeReplica.model_validate_json(raw) if raw else None

    def next_card_sequence(self, room: str, *, at_least: int) -> int:
        """The next card sequence for ``room``: above the cloud's (``at_least``, from the
        replica) and above every card this node signed for it, kept across restarts."""
        with self._lock:
            row = self._conn.execute(
                "INSERT INTO node_card_sequences VALUES (?, ?) ON CONFLICT (room) DO UPDATE"
                " SET last = max(last, excluded.last - 1) + 1 RETURNING last",
                [room, at_least + 1],
            ).fetchone()
        return int(row[0])

    def conflicts(self) -> list[ConflictItem]:
        raw = self._get("conflicts")
        return NodeConflicts.model_validate_json(raw).items if raw else []

    def offline_since(self) -> datetime | None:
        raw = self._get("offline_since")
        return datetime.fromisoformat(raw).astimezone(UTC) if raw else None

    def state(self, outbox: NodeOutbox) -> SyncState:
        waiting, oldest = outbox.pending()
        since = self.offline_since() or oldest
        held = {item.reservation_id for item in self.conflicts()}  # one per guest, not per step
        replica = self.replica()
        return SyncState(
            online=self.online,
            offline_since=since,
            waiting=waiting,
            replica_as_of=replica.as_of if replica else None,
            conflicts=len(held),
        )

    def _get(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM node_meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])
