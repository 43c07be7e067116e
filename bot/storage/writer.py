"""Group commit for one SQLite connection: concurrent requests' writes share one transaction.

A commit costs a write to the WAL (and, at `synchronous=FULL`, an fsync) whatever it holds, so
writes that arrive while a transaction is being committed wait for the next one and go in
together. Each caller is answered only once the transaction that holds its write has
committed: a reply is never acknowledged before its write is in the file.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

T = TypeVar("T")
_Pending = tuple[Callable[[], Any], "asyncio.Future[Any]"]


class Writer:
    """Runs write work on the store's one database thread, many writes per transaction."""

    def __init__(self, db: sqlite3.Connection, executor: Executor) -> None:
        self._db = db
        self._executor = executor
        self._lock = threading.Lock()  # the loop appends, the database thread takes
        self._pending: list[_Pending] = []
        self._scheduled = False
        self.commits = 0  # transactions committed, for the tests and the benchmark
        self.writes = 0

    async def write(self, work: Callable[[], T]) -> T:
        """Run `work` in the next transaction; return its result once that has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._lock:
            self._pending.append((work, future))
            schedule, self._scheduled = not self._scheduled, True
        if schedule:
            # A read submitted after this write runs after its flush: the executor is FIFO.
            loop.run_in_executor(self._executor, self._flush, loop)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            batch, self._pending, self._scheduled = self._pending, [], False
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
            for work, future in batch:
                # One request's failing write must not undo the others' in the same commit.
                db.execute("SAVEPOINT one")
                try:
                    value = work()
                except Exception as exc:
                    db.execute("ROLLBACK TO one")
                    outcomes.append((future, None, exc))
                else:
                    outcomes.append((future, value, None))
                db.execute("RELEASE one")
            db.execute("COMMIT")
            self.commits += 1
            self.writes += len(batch)
        except Exception as exc:  # disk full, I/O error: nothing of this batch was written
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            outcomes = [(future, None, exc) for _, future in batch]
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody waits any more
            loop.call_soon_threadsafe(_settle, outcomes)


def _settle(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for future, value, error in outcomes:
        if future.done():  # the request was cancelled; its write stands all the same
            continue
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)
