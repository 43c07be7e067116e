"""Where sessions live: SQLite for one machine, Redis when several processes share the work.

Every store keeps the same contract (tests/test_stores.py runs one suite against each): sessions
by an opaque key, markers that remember a redelivered update for a day, and a per-user lock so
one user's messages are handled one at a time, in order.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TypeVar

from bot.session import Session

T = TypeVar("T")
DAY = 86_400
PURGE_EVERY = 60.0  # seconds between sweeps of expired redelivery markers
LOCK_SECONDS = 30  # a lock outlives no crashed process by more than this


def session_key(secret: str, channel: str, user: str) -> str:
    """An HMAC of channel and user id: no phone number or chat id is ever stored in clear."""
    message = f"{channel}\0{user}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class SessionStore(ABC):
    """The contract every session store keeps."""

    @abstractmethod
    async def load(self, key: str) -> Session | None:
        """The stored session, or None."""

    @abstractmethod
    async def save(self, key: str, session: Session) -> None:
        """Store (or replace) a session."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Forget a session entirely."""

    async def begin(self, key: str, marker: str | None) -> tuple[str | None, Session | None]:
        """The result recorded for `marker` (a redelivery), else None, and the stored session."""
        if marker is not None:
            earlier = await self.recall(marker)
            if earlier is not None:
                return earlier, None
        return None, await self.load(key)

    async def finish(
        self,
        key: str,
        session: Session | None,
        marker: str | None = None,
        result: str = "",
        ttl: int = DAY,
    ) -> None:
        """Store the new session (or delete it) and record `marker` → `result`."""
        if session is None:
            await self.delete(key)
        else:
            await self.save(key, session)
        if marker is not None:
            await self.remember(marker, result, ttl)

    @abstractmethod
    async def remember(self, marker: str, value: str, ttl: int = DAY) -> str | None:
        """Record `marker` → `value` unless already there; return the earlier value if it was."""

    @abstractmethod
    async def recall(self, marker: str) -> str | None:
        """The value recorded for `marker`, if it has not expired."""

    @abstractmethod
    async def append(self, log: str, data: str, at: float | None = None) -> None:
        """Add a record (JSON text) to an append-only log, stamped with `at` or now."""

    @abstractmethod
    async def records(self, log: str, since: float = 0.0) -> list[tuple[float, str]]:
        """The records of a log stamped at or after `since`, oldest first."""

    @abstractmethod
    async def prune(self, log: str, before: float) -> int:
        """Delete the records stamped before `before`; return how many went."""

    @abstractmethod
    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the user's lock while one message is handled."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""


class _LocalLocks:
    """Per-key asyncio locks for stores used by one process."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # drop idle locks so memory does not grow with users
                del self._users[key], self._locks[key]


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


class RedisStore(SessionStore):
    """Sessions in Redis, shared by every `puente serve` process behind a load balancer."""

    def __init__(self, url: str, prefix: str = "puente:") -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)
        self._prefix = prefix

    async def load(self, key: str) -> Session | None:
        data = await self._redis.get(self._prefix + "s:" + key)
        return Session.from_json(data) if data is not None else None

    async def save(self, key: str, session: Session) -> None:
        await self._redis.set(self._prefix + "s:" + key, session.to_json())

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + "s:" + key)

    async def remember(self, marker: str, value: str, ttl: int = DAY) -> str | None:
        name = self._prefix + "m:" + marker
        if await self._redis.set(name, value, nx=True, ex=ttl):
            return None
        earlier = await self._redis.get(name)
        return earlier.decode() if isinstance(earlier, bytes) else earlier

    async def begin(self, key: str, marker: str | None) -> tuple[str | None, Session | None]:
        names = [self._prefix + "s:" + key]
        if marker is not None:
            names.append(self._prefix + "m:" + marker)
        values = await self._redis.mget(names)
        if marker is not None and values[1] is not None:
            earlier = values[1]
            return (earlier.decode() if isinstance(earlier, bytes) else earlier), None
        return None, Session.from_json(values[0]) if values[0] is not None else None

    async def finish(
        self,
        key: str,
        session: Session | None,
        marker: str | None = None,
        result: str = "",
        ttl: int = DAY,
    ) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            if session is None:
                pipe.delete(self._prefix + "s:" + key)
            else:
                pipe.set(self._prefix + "s:" + key, session.to_json())
            if marker is not None:
                pipe.set(self._prefix + "m:" + marker, result, nx=True, ex=ttl)
            await pipe.execute()

    async def recall(self, marker: str) -> str | None:
        value = await self._redis.get(self._prefix + "m:" + marker)
        return value.decode() if isinstance(value, bytes) else value

    async def append(self, log: str, data: str, at: float | None = None) -> None:
        # A sorted set by time; a random prefix keeps identical texts as separate records.
        member = f"{secrets.token_hex(6)}:{data}"
        await self._redis.zadd(self._prefix + "r:" + log, {member: at or time.time()})

    async def records(self, log: str, since: float = 0.0) -> list[tuple[float, str]]:
        found = await self._redis.zrangebyscore(
            self._prefix + "r:" + log, since, "+inf", withscores=True
        )
        return [(float(score), member.decode().split(":", 1)[1]) for member, score in found]

    async def prune(self, log: str, before: float) -> int:
        return int(
            await self._redis.zremrangebyscore(self._prefix + "r:" + log, "-inf", f"({before}")
        )

    @asynccontextmanager
    async def _hold(self, key: str) -> AsyncIterator[None]:
        # A Redis lock orders one user's messages across processes, as aiogram's isolation does.
        lock = self._redis.lock(
            self._prefix + "l:" + key,
            timeout=LOCK_SECONDS,
            blocking_timeout=LOCK_SECONDS,
            sleep=0.01,
        )
        async with lock:
            yield

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        return self._hold(key)

    async def close(self) -> None:
        await self._redis.aclose()


def open_store(spec: str) -> SessionStore:
    """A store from SESSION_STORE: a redis:// URL, or a SQLite file path."""
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(spec)
    return SqliteStore(spec)
