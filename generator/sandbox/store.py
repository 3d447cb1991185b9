"""SQLite storage of the sandbox: one table of records, serialised writes, durable on disk.

Records of every kind share one id sequence (contacts and projects never share an id, as on
real systems). A single connection guarded by a lock serialises writers, so concurrent writers
lose nothing; with a file, WAL journaling keeps the data across restarts. Listeners hear of
every committed change (the webhook emitter is one), never of a write a rollback undid.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

FIRST_ID = 1000


@dataclass
class Record:
    id: int
    kind: str
    category_id: int | None
    data: dict[str, Any]
    updated_at: str


@dataclass(frozen=True)
class Change:
    """A record as written, with its data before the write (None when it was created)."""

    record: Record
    before: dict[str, Any] | None


class Store:
    def __init__(self, path: str | None = None) -> None:
        self._lock = threading.RLock()
        #: Called with every committed change, in order; a listener must not block.
        self.listeners: list[Callable[[Change], None]] = []
        self._pending: list[Change] | None = None
        self._db = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None
        )
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript("""
            CREATE TABLE IF NOT EXISTS records (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                kind TEXT NOT NULL,
                category_id INTEGER,
                data TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS records_kind ON records (kind, category_id);
            """)
        if self._db.execute("SELECT COUNT(*) FROM records").fetchone()[0] == 0:
            self._db.execute(
                "INSERT OR REPLACE INTO sqlite_sequence (name, seq) VALUES ('records', ?)",
                (FIRST_ID - 1,),
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside runs alone and is committed together (or not at all)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._pending = []
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._pending = None
                raise
            self._db.execute("COMMIT")
            self._announce()

    def _changed(self, change: Change) -> None:
        """Tell the listeners now, or at the commit of the transaction this write is in."""
        if self._pending is not None:
            self._pending.append(change)
        else:
            for listener in self.listeners:
                listener(change)

    def _announce(self) -> None:
        pending, self._pending = self._pending or [], None
        for change in pending:
            for listener in self.listeners:
                listener(change)

    def insert(
        self, kind: str, category_id: int | None, data: dict[str, Any], now: str
    ) -> int:
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO records (kind, category_id, data, updated_at) VALUES (?, ?, ?, ?)",
                (kind, category_id, json.dumps(data, ensure_ascii=False), now),
            )
            record_id = int(cursor.lastrowid or 0)
            if self.listeners:
                record = Record(record_id, kind, category_id, dict(data), now)
                self._changed(Change(record, None))
            return record_id

    def update(self, record_id: int, data: dict[str, Any], now: str) -> None:
        with self._lock:
            row = (
                self._db.execute(
                    "SELECT kind, category_id, data FROM records WHERE id = ?",
                    (record_id,),
                ).fetchone()
                if self.listeners
                else None
            )
            self._db.execute(
                "UPDATE records SET data = ?, updated_at = ? WHERE id = ?",
                (json.dumps(data, ensure_ascii=False), now, record_id),
            )
            if row is not None:
                after = Record(record_id, row[0], row[1], dict(data), now)
                self._changed(Change(after, json.loads(row[2])))

    def delete(self, record_id: int) -> None:
        with self._lock:
            self._db.execute("DELETE FROM records WHERE id = ?", (record_id,))

    def get(self, record_id: int, kinds: tuple[str, ...]) -> Record | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT id, kind, category_id, data, updated_at FROM records WHERE id = ? AND kind IN ({','.join('?' * len(kinds))})",
                (record_id, *kinds),
            ).fetchone()
        return (
            None
            if row is None
            else Record(row[0], row[1], row[2], json.loads(row[3]), row[4])
        )

    def all(
        self, kinds: tuple[str, ...], category_id: int | None = None
    ) -> list[Record]:
        query = f"SELECT id, kind, category_id, data, updated_at FROM records WHERE kind IN ({','.join('?' * len(kinds))})"
        params: list[Any] = list(kinds)
        if category_id is not None:
            query += " AND category_id = ?"
            params.append(category_id)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", params).fetchall()
        return [Record(r[0], r[1], r[2], json.loads(r[3]), r[4]) for r in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
