"""The desk's staff sessions in the node's SQLite, so a restart of the node (or a kill mid-outage)
does not sign the desk's clerks out. Only a token's SHA-256 is kept, with the account it opened,
a fingerprint of that account as the replica named it then (role, scope, sealed password hash),
and its times; the secret the desk's forms are bound with is kept here too, so a form opened
before a restart still posts after it. Failed sign-ins are counted here as well, per account
and per client address (``cloud.auth.throttle``'s state), so a restart of the node does not
forget a wait."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from cloud.auth.throttle import Attempts, Throttle

SCHEMA = """
CREATE TABLE IF NOT EXISTS node_sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    last_seen_us INTEGER NOT NULL,
    expires_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS node_sessions_user ON node_sessions (username);
CREATE TABLE IF NOT EXISTS node_form_keys (key TEXT PRIMARY KEY, used_us INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS node_signin_failures (
    kind TEXT NOT NULL CHECK (kind IN ('account', 'address')),
    name TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_us INTEGER,
    wait_until_us INTEGER,
    PRIMARY KEY (kind, name)
);
CREATE TABLE IF NOT EXISTS node_desk_secret (id INTEGER PRIMARY KEY CHECK (id = 1), secret BLOB NOT NULL);
"""


FORM_KEY_US = 2 * 24 * 3600 * 1_000_000  # a form's key is remembered two days
Counted = Literal["account", "address"]


@dataclass(frozen=True, slots=True)
class StoredSession:
    username: str
    fingerprint: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class DeskSessions:
    """One connection shared by the desk's request threads, serialised by a lock."""

    def __init__(self, path: str | Path) -> None:
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(SCHEMA)

    def open(self, token_hash: str, session: StoredSession) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO node_sessions VALUES (?, ?, ?, ?, ?, ?)",
                [
                    token_hash,
                    session.username,
                    session.fingerprint,
                    _us(session.created_at),
                    _us(session.last_seen_at),
                    _us(session.expires_at),
                ],
            )

    def get(self, token_hash: str) -> StoredSession | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT username, fingerprint, created_us, last_seen_us, expires_us"
                " FROM node_sessions WHERE token_hash = ?",
                [token_hash],
            ).fetchone()
        if row is None:
            return None
        return StoredSession(str(row[0]), str(row[1]), _at(row[2]), _at(row[3]), _at(row[4]))

    def touch(self, token_hash: str, *, at: datetime) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE node_sessions SET last_seen_us = max(last_seen_us, ?) WHERE token_hash = ?",
                [_us(at), token_hash],
            )

    def end(self, token_hash: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM node_sessions WHERE token_hash = ?", [token_hash])

    def end_user(self, username: str, *, keep_fingerprint: str | None = None) -> int:
        """End ``username``'s sessions (those opened under another fingerprint only, when given)."""
        with self._lock:
            cursor = self._conn.execute(
                "DELETE FROM node_sessions WHERE username = ? AND fingerprint IS NOT ?",
                [username, keep_fingerprint],
            )
        return cursor.rowcount

    def purge(self, *, now: datetime) -> int:
        """Forget sessions past their lifetime (they can never be used again)."""
        with self._lock:
            cursor = self._conn.execute("DELETE FROM node_sessions WHERE expires_us <= ?", [_us(now)])
        return cursor.rowcount

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM node_sessions").fetchone()[0])

    def claim_form(self, key: str, *, at: datetime) -> bool:
        """True the first time a form's one-time key is sent (a double click sends it twice)."""
        with self._lock:
            self._conn.execute("DELETE FROM node_form_keys WHERE used_us < ?", [_us(at) - FORM_KEY_US])
            cursor = self._conn.execute("INSERT OR IGNORE INTO node_form_keys VALUES (?, ?)", [key, _us(at)])
        return cursor.rowcount == 1

    def release_form(self, key: str) -> None:
        """Forget a key whose form was refused: corrected and sent again, it is done once."""
        with self._lock:
            self._conn.execute("DELETE FROM node_form_keys WHERE key = ?", [key])

    def attempts(self, kind: Counted, name: str) -> Attempts:
        """The failed sign-ins counted for an account or a client address (none: ``Attempts()``)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT failures, last_failure_us, wait_until_us FROM node_signin_failures"
                " WHERE kind = ? AND name = ?",
                [kind, name],
            ).fetchone()
        return _attempts(row)

    def count_failure(self, kind: Counted, name: str, throttle: Throttle, *, now: datetime) -> Attempts:
        """Count a failed sign-in (read and written under one lock: two at once both count); the
        rows the throttle would read as no failures at all (quiet past its window, no wait due)
        are forgotten on the way, as the cloud's purge forgets them."""
        with self._lock, self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.execute(
                "DELETE FROM node_signin_failures WHERE kind = ?"
                " AND (last_failure_us IS NULL OR last_failure_us < ?)"
                " AND (wait_until_us IS NULL OR wait_until_us < ?)",
                [kind, _us(now - throttle.window), _us(now)],
            )
            row = self._conn.execute(
                "SELECT failures, last_failure_us, wait_until_us FROM node_signin_failures"
                " WHERE kind = ? AND name = ?",
                [kind, name],
            ).fetchone()
            after = throttle.after_failure(_attempts(row), now=now)
            self._conn.execute(
                "INSERT OR REPLACE INTO node_signin_failures VALUES (?, ?, ?, ?, ?)",
                [
                    kind,
                    name,
                    after.failures,
                    _us(after.last_failure_at) if after.last_failure_at else None,
                    _us(after.wait_until) if after.wait_until else None,
                ],
            )
        return after

    def clear_failures(self, kind: Counted, name: str) -> None:
        """Forget an account's failures (it signed in)."""
        with self._lock:
            self._conn.execute("DELETE FROM node_signin_failures WHERE kind = ? AND name = ?", [kind, name])

    def secret(self) -> bytes:
        """The desk's form-binding secret: made once, kept across restarts."""
        with self._lock:
            self._conn.execute(
                "INSERT OR IGNORE INTO node_desk_secret VALUES (1, ?)", [secrets.token_bytes(32)]
            )
            return bytes(self._conn.execute("SELECT secret FROM node_desk_secret").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _us(at: datetime) -> int:
    return round(at.timestamp() * 1_000_000)


def _at(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, UTC)


def _attempts(row: tuple[int, int | None, int | None] | None) -> Attempts:
    if row is None:
        return Attempts()
    failures, last, until = row
    return Attempts(
        int(failures), _at(last) if last is not None else None, _at(until) if until is not None else None
    )
