"""Each room's energy-saving total, kept across gateway restarts: in the gateway's SQLite file,
or in memory for tests and the demo."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from edge.energy import RoomEnergy
from edge.store import Store
from mqtt.envelope import rfc3339

SCHEMA = """
CREATE TABLE IF NOT EXISTS room_energy (
    room TEXT PRIMARY KEY,
    setback INTEGER NOT NULL,
    since TEXT,
    saved_kwh REAL NOT NULL
);
"""


class EnergyLedger(Protocol):
    def load(self, room: str) -> RoomEnergy | None: ...

    def save(self, energy: RoomEnergy) -> None: ...


class SqliteEnergyLedger:
    """A row per room in the gateway's store; a save is durable when it returns."""

    def __init__(self, store: Store) -> None:
        self._store = store
        store.execute_script(SCHEMA)

    def load(self, room: str) -> RoomEnergy | None:
        row = self._store.fetch_one(
            "SELECT setback, since, saved_kwh FROM room_energy WHERE room = ?", [room]
        )
        if row is None:
            return None
        since = datetime.fromisoformat(row[1]) if row[1] else None
        return RoomEnergy(room=room, setback=bool(row[0]), since=since, saved_kwh=float(row[2]))

    def save(self, energy: RoomEnergy) -> None:
        since = rfc3339(energy.since) if energy.since is not None else None
        self._store.run(
            "INSERT OR REPLACE INTO room_energy (room, setback, since, saved_kwh) VALUES (?, ?, ?, ?)",
            [energy.room, int(energy.setback), since, energy.saved_kwh],
        )


class MemoryEnergyLedger:
    def __init__(self) -> None:
        self.rows: dict[str, RoomEnergy] = {}

    def load(self, room: str) -> RoomEnergy | None:
        return self.rows.get(room)

    def save(self, energy: RoomEnergy) -> None:
        self.rows[energy.room] = energy
