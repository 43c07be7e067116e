"""Sessions in one SQLite file, for a single `puente serve` process."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TypeVar

from bot.conversation.session import Session
from bot.storage.contract import DAY, PURGE_EVERY, SessionStore, _LocalLocks

T = TypeVar("T")

# Statements SqliteStore runs both alone and inside its one-transaction begin/finish.
_LOAD_SESSION = "SELECT data FROM sessions WHERE key = ?"
_SAVE_SESSION = (
    "INSERT INTO sessions VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
    "SET data = excluded.data, updated = excluded.updated"
)
_RECALL_MARKER = "SELECT value FROM markers WHERE marker = ? AND expires >= ?"


class SqliteStore(SessionStore):
    """Sessions in one SQLite file (WAL), for a single `puente serve` process.

    All database work runs on one dedicated thread: the event loop never blocks on disk, and
    statements never wait for each other behind a lock.
    """

    def __init__(self, path: str | Path) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        for statement in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, data TEXT NOT NULL, "
            "updated REAL NOT NULL)",
            "CREATE TABLE IF NOT EXISTS markers (marker TEXT PRIMARY KEY, value TEXT NOT NULL, "
            "expires REAL NOT NULL)",
            "CREATE INDEX IF NOT EXISTS markers_expires ON markers (expires)",
            "CREATE TABLE IF NOT EXISTS records (log TEXT NOT NULL, at REAL NOT NULL, "
            "data TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS records_at ON records (log, at)",
        ):
            self._db.execute(statement)
        self._locks = _LocalLocks()
        self._purged = 0.0

    async def _submit(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def _call(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        return await self._submit(lambda: self._db.execute(sql, args).fetchall())

    async def load(self, key: str) -> Session | None:
        rows = await self._call(_LOAD_SESSION, key)
        return Session.from_json(str(rows[0][0])) if rows else None

    async def save(self, key: str, session: Session) -> None:
        await self._call(
            _SAVE_SESSION,
            key,
            session.to_json(),
            time.time(),
        )

    async def delete(self, key: str) -> None:
        await self._call("DELETE FROM sessions WHERE key = ?", key)

    async def remember(self, marker: str, value: str, ttl: int = DAY) -> str | None:
        now = time.time()

        def work() -> str | None:
            # One thread runs every statement, so this read-then-write cannot interleave.
            row = self._db.execute(_RECALL_MARKER, (marker, now)).fetchone()
            if row is not None:
                return str(row[0])
            self._db.execute(
                "INSERT OR REPLACE INTO markers VALUES (?, ?, ?)", (marker, value, now + ttl)
            )
            if now - self._purged > PURGE_EVERY:
                self._db.execute("DELETE FROM markers WHERE expires < ?", (now,))
                self._purged = now
            return None

        return await self._submit(work)

    async def recall(self, marker: str) -> str | None:
        rows = await self._call(_RECALL_MARKER, marker, time.time())
        return str(rows[0][0]) if rows else None

    async def begin(self, key: str, marker: str | None) -> tuple[str | None, Session | None]:
        now = time.time()

        def work() -> tuple[str | None, Session | None]:
            if marker is not None:
                row = self._db.execute(_RECALL_MARKER, (marker, now)).fetchone()
                if row is not None:
                    return str(row[0]), None
            found = self._db.execute(_LOAD_SESSION, (key,)).fetchone()
            return None, Session.from_json(str(found[0])) if found else None

        return await self._submit(work)

    async def finish(
        self,
        key: str,
        session: Session | None,
        marker: str | None = None,
        result: str = "",
        ttl: int = DAY,
    ) -> None:
        now = time.time()

        def work() -> None:
            # One transaction: one write to the WAL instead of two, and never half done.
            with self._db:
                self._db.execute("BEGIN")
                if session is None:
                    self._db.execute("DELETE FROM sessions WHERE key = ?", (key,))
                else:
                    self._db.execute(
                        _SAVE_SESSION,
                        (key, session.to_json(), now),
                    )
                if marker is not None:
                    self._db.execute(
                        "INSERT OR IGNORE INTO markers VALUES (?, ?, ?)",
                        (marker, result, now + ttl),
                    )

        await self._submit(work)

    async def append(self, log: str, data: str, at: float | None = None) -> None:
        await self._call("INSERT INTO records VALUES (?, ?, ?)", log, at or time.time(), data)

    async def records(self, log: str, since: float = 0.0) -> list[tuple[float, str]]:
        rows = await self._call(
            "SELECT at, data FROM records WHERE log = ? AND at >= ? ORDER BY at, rowid", log, since
        )
        return [(float(at), str(data)) for at, data in rows]  # type: ignore[arg-type]

    async def prune(self, log: str, before: float) -> int:
        return await self._submit(
            lambda: (
                self._db.execute(
                    "DELETE FROM records WHERE log = ? AND at < ?", (log, before)
                ).rowcount
            )
        )

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        return self._locks.hold(key)

    async def close(self) -> None:
        await self._submit(self._db.close)
        self._executor.shutdown(wait=True)
