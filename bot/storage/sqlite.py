"""Sessions in one SQLite file, for a single `puente serve` process.

That process is the file's only writer, so it keeps sessions and redelivery markers in memory
as it writes them (bounded, see memo.py): a message usually reads nothing from the database
thread. Every write goes through one group-committing writer (writer.py), the Telegram inbox
included, and a caller is answered only once its write has committed.
"""

from __future__ import annotations

import asyncio
import fcntl
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import IO, TypeVar

from bot.clock import Clock, system_clock
from bot.storage.contract import (
    DAY,
    PURGE_EVERY,
    SESSION_DAYS,
    Claimed,
    LocalLocks,
    Store,
    StoreError,
    user_marker,
)
from bot.storage.memo import UNKNOWN, Memo
from bot.storage.writer import Writer

T = TypeVar("T")
SESSIONS_KEPT = 10_000  # sessions held in memory (about 1 kB each)
MARKERS_KEPT = 200_000  # redelivery markers known in memory, by hash only (about 100 B each)

# Statements run both alone and inside the one-transaction begin/finish.
_LOAD_SESSION = "SELECT data, updated FROM sessions WHERE key = ? AND updated >= ?"
_SAVE_SESSION = (
    "INSERT INTO sessions VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
    "SET data = excluded.data, updated = excluded.updated"
)
_DELETE_SESSION = "DELETE FROM sessions WHERE key = ?"
_RECALL_MARKER = "SELECT value FROM markers WHERE marker = ? AND expires >= ?"
_INBOX_USER = "SELECT user FROM inbox WHERE queue = ? AND id = ?"
_SCHEMA = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA secure_delete=ON",  # a forgotten user's pages are overwritten, not just unlinked
    "CREATE TABLE IF NOT EXISTS sessions (key TEXT PRIMARY KEY, data TEXT NOT NULL, "
    "updated REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS markers (marker TEXT PRIMARY KEY, value TEXT NOT NULL, "
    "expires REAL NOT NULL)",
    "CREATE INDEX IF NOT EXISTS markers_expires ON markers (expires)",
    "CREATE TABLE IF NOT EXISTS records (log TEXT NOT NULL, at REAL NOT NULL, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS records_at ON records (log, at)",
    "CREATE TABLE IF NOT EXISTS inbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, "
    "id TEXT NOT NULL, user TEXT NOT NULL, data TEXT NOT NULL, enqueued REAL NOT NULL, "
    "available REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, UNIQUE (queue, id))",
    "CREATE INDEX IF NOT EXISTS inbox_queue ON inbox (queue, seq)",
    "CREATE TABLE IF NOT EXISTS inbox_busy (queue TEXT NOT NULL, user TEXT NOT NULL, "
    "until REAL NOT NULL, PRIMARY KEY (queue, user))",
    # Alert subscriptions (issue 16): the one table that holds an address, until unsubscribed.
    "CREATE TABLE IF NOT EXISTS subscriptions (key TEXT NOT NULL, scope TEXT NOT NULL, "
    "data TEXT NOT NULL, PRIMARY KEY (key, scope))",
    "CREATE INDEX IF NOT EXISTS subscriptions_scope ON subscriptions (scope)",
)


class SqliteStore(Store):
    """Everything in one SQLite file (WAL), for a single `puente serve` process.

    All database work runs on one dedicated thread: the event loop never blocks on disk, and
    statements never wait for each other behind a lock. Writes are committed in groups.
    """

    def __init__(
        self, path: str | Path, clock: Clock = system_clock, session_days: int = SESSION_DAYS
    ) -> None:
        self._owner = _own(Path(path))
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
            for statement in _SCHEMA:
                self._db.execute(statement)
            check = self._db.execute("PRAGMA quick_check(1)").fetchone()
            if check is None or check[0] != "ok":
                raise sqlite3.DatabaseError(f"integrity check says: {check and check[0]}")
            # Keep the write-ahead log small: it holds pages of deleted sessions too.
            self._db.execute("PRAGMA journal_size_limit=4194304")
        except sqlite3.Error as exc:
            self._owner.close()
            raise StoreError(
                f"SESSION_STORE={path}: cannot use this SQLite file ({exc}). Check the path, "
                "its folder's permissions and free disk space; move a damaged file aside to "
                "start afresh."
            ) from None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._clock = clock
        self._release_leases()
        self._session_ttl = session_days * DAY
        self._locks = LocalLocks()
        self._purged = 0.0
        self._writer = Writer(self._db, self._executor)
        self._sessions: Memo[str, str] = Memo(SESSIONS_KEPT)
        # A marker is known by its name's hash: a collision only costs a read of the file.
        self._markers: Memo[int, bool] = Memo(MARKERS_KEPT)
        self._preload()

    def _preload(self) -> None:
        """What the file already holds, into memory (before any other thread uses it)."""
        now = self._clock()
        since = now - self._session_ttl
        count = self._db.execute(
            "SELECT count(*) FROM sessions WHERE updated >= ?", (since,)
        ).fetchone()[0]
        if count > SESSIONS_KEPT:
            self._sessions.known_until(now + self._session_ttl)
        else:
            for key, data, updated in self._db.execute(
                "SELECT key, data, updated FROM sessions WHERE updated >= ?", (since,)
            ):
                self._sessions.put(str(key), str(data), float(updated) + self._session_ttl)
        rows = self._db.execute(
            "SELECT marker, expires FROM markers WHERE expires >= ? AND marker LIKE '%@%'", (now,)
        ).fetchall()
        if len(rows) > MARKERS_KEPT:
            self._markers.known_until(max(float(e) for _, e in rows))
        else:
            for name, expires in rows:
                self._markers.put(hash(str(name)), True, float(expires))

    def _release_leases(self) -> None:
        """Updates in hand of the file's last owner, killed or stopped: due now, not when the
        leases run out. The file lock says that owner is gone (a retry's backoff goes too)."""
        now = self._clock()
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("UPDATE inbox SET available = ? WHERE available > ?", (now, now))
            self._db.execute("DELETE FROM inbox_busy")

    async def _submit(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, work)

    async def _call(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        return await self._submit(lambda: self._db.execute(sql, args).fetchall())

    async def _write(self, sql: str, *args: object) -> int:
        return await self._writer.write(lambda: self._db.execute(sql, args).rowcount)

    async def load(self, key: str) -> str | None:
        now = self._clock()
        known = self._sessions.get(key, now)
        if known is not UNKNOWN:
            return known
        rows = await self._call(_LOAD_SESSION, key, now - self._session_ttl)
        return self._loaded(key, rows[0] if rows else None)

    def _loaded(self, key: str, row: tuple[object, ...] | None) -> str | None:
        if row is None:
            return None
        data = str(row[0])
        self._sessions.put(key, data, float(str(row[1])) + self._session_ttl)
        return data

    async def save(self, key: str, data: str) -> None:
        now = self._clock()
        await self._write(_SAVE_SESSION, key, data, now)
        self._sessions.put(key, data, now + self._session_ttl)

    async def delete(self, key: str) -> None:
        await self._write(_DELETE_SESSION, key)
        self._sessions.drop(key)

    async def begin(self, key: str, marker: str | None) -> tuple[str | None, str | None]:
        now = self._clock()
        name = user_marker(key, marker) if marker is not None else None
        # A marker known in memory means a redelivery: its reply is read from the file.
        fresh = name is None or self._markers.get(hash(name), now) is None
        known = self._sessions.get(key, now)
        if fresh and known is not UNKNOWN:
            return None, known

        def work() -> tuple[str | None, tuple[object, ...] | None]:
            if name is not None:
                row = self._db.execute(_RECALL_MARKER, (name, now)).fetchone()
                if row is not None:
                    return str(row[0]), None
            found = self._db.execute(_LOAD_SESSION, (key, now - self._session_ttl)).fetchone()
            return None, found

        earlier, found = await self._submit(work)
        if earlier is not None:
            return earlier, None
        return None, self._loaded(key, found)

    async def finish(
        self,
        key: str,
        data: str | None,
        marker: str | None = None,
        result: str = "",
        ttl: int = DAY,
    ) -> None:
        now = self._clock()

        name = user_marker(key, marker) if marker is not None else None

        def work() -> None:
            # One transaction, shared with other requests': never half done.
            if data is None:
                self._db.execute(_DELETE_SESSION, (key,))
            else:
                self._db.execute(_SAVE_SESSION, (key, data, now))
            if name is not None:
                self._db.execute(
                    "INSERT OR IGNORE INTO markers VALUES (?, ?, ?)", (name, result, now + ttl)
                )
            self._purge_due(now)

        await self._writer.write(work)
        # Committed: only now does memory say so.
        if data is None:
            self._sessions.drop(key)
        else:
            self._sessions.put(key, data, now + self._session_ttl)
        if name is not None:
            self._markers.put(hash(name), True, now + ttl)

    def _purge_due(self, now: float) -> None:
        """Expired markers and sessions nobody touched for SESSION_DAYS go (inside a write)."""
        if now - self._purged <= PURGE_EVERY:
            return
        self._db.execute("DELETE FROM markers WHERE expires < ?", (now,))
        self._db.execute("DELETE FROM sessions WHERE updated < ?", (now - self._session_ttl,))
        self._purged = now

    async def forget(self, key: str) -> None:
        def work() -> None:
            self._db.execute(_DELETE_SESSION, (key,))
            self._db.execute("DELETE FROM markers WHERE marker LIKE ?", (f"%@{key}",))

        await self._writer.write(work)
        self._sessions.drop(key)  # its markers stay known by hash: a later look-up reads the file
        # Out of the write-ahead log too, not only out of the tables.
        await self._call("PRAGMA wal_checkpoint(TRUNCATE)")

    async def forget_records(self, log: str, tag: str) -> int:
        return await self._write(
            "DELETE FROM records WHERE log = ? AND instr(data, ?) > 0", log, tag
        )

    async def remember(self, marker: str, value: str, ttl: int = DAY) -> str | None:
        now = self._clock()

        def work() -> str | None:
            # One thread runs every statement, so this read-then-write cannot interleave.
            row = self._db.execute(_RECALL_MARKER, (marker, now)).fetchone()
            if row is not None:
                return str(row[0])
            self._db.execute(
                "INSERT OR REPLACE INTO markers VALUES (?, ?, ?)", (marker, value, now + ttl)
            )
            self._purge_due(now)
            return None

        return await self._writer.write(work)

    async def recall(self, marker: str) -> str | None:
        rows = await self._call(_RECALL_MARKER, marker, self._clock())
        return str(rows[0][0]) if rows else None

    async def append(self, log: str, data: str, at: float | None = None) -> None:
        stamp = self._clock() if at is None else at
        await self._write("INSERT INTO records VALUES (?, ?, ?)", log, stamp, data)

    async def records(self, log: str, since: float = 0.0) -> list[tuple[float, str]]:
        rows = await self._call(
            "SELECT at, data FROM records WHERE log = ? AND at >= ? ORDER BY at, rowid", log, since
        )
        return [(float(str(at)), str(data)) for at, data in rows]

    async def prune(self, log: str, before: float) -> int:
        return await self._write("DELETE FROM records WHERE log = ? AND at < ?", log, before)

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        return self._locks.hold(key)

    async def enqueue(self, queue: str, item: str, user: str, data: str) -> bool:
        now = self._clock()

        def work() -> bool:
            if self._db.execute(_RECALL_MARKER, (_done(queue, item), now)).fetchone():
                return False
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO inbox (queue, id, user, data, enqueued, available) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (queue, item, user, data, now, now),
            )
            return cursor.rowcount == 1

        return await self._writer.write(work)

    async def claim(self, queue: str, limit: int, lease: float) -> list[Claimed]:
        now = self._clock()

        def work() -> list[Claimed]:
            busy = dict(
                self._db.execute(
                    "SELECT user, until FROM inbox_busy WHERE queue = ? AND until > ?", (queue, now)
                ).fetchall()
            )
            rows = self._db.execute(
                "SELECT id, user, data, enqueued, available, attempts FROM inbox "
                "WHERE queue = ? ORDER BY seq",
                (queue,),
            )
            # Read in order only as far as the items taken: a broadcast's queue holds one item
            # per recipient, and reading all of it at each claim made a large one crawl.
            picked: list[tuple[str, str, str, float, int]] = []
            seen: set[str] = set()
            while len(picked) < limit and (chunk := rows.fetchmany(256)):
                for item, user, data, enqueued, available, attempts in chunk:
                    if len(picked) >= limit:
                        break
                    first = user not in seen  # a user's later items wait for the earlier
                    seen.add(user)
                    if first and user not in busy and available <= now:
                        picked.append((item, user, data, enqueued, attempts))
            rows.close()
            taken: list[Claimed] = []
            for item, user, data, enqueued, attempts in picked:
                self._db.execute(
                    "UPDATE inbox SET available = ?, attempts = attempts + 1 "
                    "WHERE queue = ? AND id = ?",
                    (now + lease, queue, item),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO inbox_busy VALUES (?, ?, ?)",
                    (queue, user, now + lease),
                )
                taken.append(Claimed(str(item), str(data), int(attempts) + 1, float(enqueued)))
            return taken

        return await self._writer.write(work)

    async def complete(self, queue: str, item: str) -> None:
        now = self._clock()

        def work() -> None:
            row = self._db.execute(_INBOX_USER, (queue, item)).fetchone()
            self._db.execute("DELETE FROM inbox WHERE queue = ? AND id = ?", (queue, item))
            if row is not None:
                self._db.execute(
                    "DELETE FROM inbox_busy WHERE queue = ? AND user = ?", (queue, row[0])
                )
            self._db.execute(
                "INSERT OR REPLACE INTO markers VALUES (?, '1', ?)",
                (_done(queue, item), now + DAY),
            )

        await self._writer.write(work)

    async def retry(self, queue: str, item: str, delay: float) -> None:
        until = self._clock() + delay

        def work() -> None:
            row = self._db.execute(_INBOX_USER, (queue, item)).fetchone()
            self._db.execute(
                "UPDATE inbox SET available = ? WHERE queue = ? AND id = ?",
                (until, queue, item),
            )
            if row is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO inbox_busy VALUES (?, ?, ?)", (queue, row[0], until)
                )

        await self._writer.write(work)

    async def pending(self, queue: str) -> int:
        rows = await self._call("SELECT count(*) FROM inbox WHERE queue = ?", queue)
        return int(str(rows[0][0]))

    # Alert subscriptions (issue 16) ------------------------------------------------------

    async def subscribe(self, key: str, scope: str, data: str) -> None:
        sql = "INSERT OR REPLACE INTO subscriptions VALUES (?, ?, ?)"
        await self._call(sql, key, scope, data)

    async def unsubscribe(self, key: str, scope: str | None = None) -> None:
        if scope is None:
            await self._call("DELETE FROM subscriptions WHERE key = ?", key)
        else:
            await self._call("DELETE FROM subscriptions WHERE key = ? AND scope = ?", key, scope)

    async def subscribers(self, scope: str) -> list[tuple[str, str]]:
        rows = await self._call(
            "SELECT key, data FROM subscriptions WHERE scope = ? ORDER BY key", scope
        )
        return [(str(key), str(data)) for key, data in rows]

    async def subscribed(self, key: str, scope: str) -> bool:
        sql = "SELECT 1 FROM subscriptions WHERE key = ? AND scope = ?"
        return bool(await self._call(sql, key, scope))

    async def ping(self) -> None:
        now = self._clock()
        await self._write("INSERT OR REPLACE INTO markers VALUES ('ping', '1', ?)", now + 60)

    async def close(self) -> None:
        await self._submit(self._db.close)
        self._executor.shutdown(wait=True)
        self._owner.close()


def _done(queue: str, item: str) -> str:
    """The marker that remembers a finished item, so a redelivery is not queued again."""
    return f"inbox:{queue}:{item}"


def _own(path: Path) -> IO[bytes]:
    """Hold the file's lock for as long as this store is open: one process per SQLite file.

    A second `puente serve` on the same file would answer the same messages twice; several
    processes share the work through Redis instead.
    """
    try:
        owner = open(f"{path}.lock", "a+b")  # noqa: SIM115 - held open on purpose
    except OSError as exc:
        raise StoreError(f"SESSION_STORE={path}: cannot create {path}.lock ({exc})") from None
    try:
        fcntl.flock(owner, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        owner.close()
        raise StoreError(
            f"SESSION_STORE={path} is already used by another Puente process. One SQLite file "
            "serves one process; to run several, set SESSION_STORE=redis://HOST:6379/0."
        ) from None
    return owner
