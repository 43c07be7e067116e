"""Telegram updates kept in the store from the moment /telegram says 200 until they are answered.

Telegram never resends an update it got a 200 for, so the webhook writes the update to the
store's inbox first, and a worker hands it to python-telegram-bot. An update is done only once
its reply was sent (or can never be: the user blocked the bot, or it failed for hours); until
then it is retried with backoff, by this process or, after a crash, by the next one to start.
One chat's updates are handled one at a time, in order, across processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import time
from typing import Any

from telegram import Update
from telegram.error import BadRequest, Forbidden

from bot.storage import Store

log = logging.getLogger(__name__)
QUEUE = "telegram"
# A worker renews the lease of each update in hand every RENEW_EVERY seconds however long it
# takes to answer, so a lease can be short: a killed process's updates are taken up by another
# within LEASE seconds (at once on SQLite, whose next owner releases them at open).
LEASE = 10.0
RENEW_EVERY = 3.0
MAX_ATTEMPTS = 12  # about an hour of retries with the backoff below
MAX_BACKOFF = 300.0
IDLE_POLL = 1.0  # how often to look for updates other processes left or retries now due
RECOUNT = 1.0  # seconds an inbox size counted in the store is trusted, far from the bound
# Errors of the update being handled, collected by the application's error handler.
FAILURES: contextvars.ContextVar[list[BaseException] | None] = contextvars.ContextVar(
    "telegram_failures", default=None
)


def record_failure(error: BaseException | None) -> None:
    """Called by the error handler: the update being handled did not get its reply."""
    failures = FAILURES.get()
    if failures is not None and error is not None:
        failures.append(error)


class TelegramInbox:
    """Accepts updates durably and works through them."""

    def __init__(
        self,
        application: Any,
        store: Store,
        concurrency: int = 16,
        max_pending: int = 10_000,
    ) -> None:
        self.application = application
        self.store = store
        self.concurrency = concurrency
        self.max_pending = max_pending
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._busy: set[asyncio.Task[None]] = set()
        self._waiting = 0  # the inbox's size as last counted, plus what we added since
        self._counted = -RECOUNT
        self._adding = 0  # enqueues under way

    async def accept(self, update_id: int, chat: str, data: str) -> str:
        """'queued', 'duplicate', or 'full' (answer 503 so Telegram delivers it later)."""
        # Counting the store is a round trip: done once a second, and for every update only
        # near the bound, where it must be exact (other processes add to a shared inbox too).
        near = self._waiting >= self.max_pending - max(1, self.max_pending // 10)
        if near or time.monotonic() - self._counted > RECOUNT:
            self._waiting = await self.store.pending(QUEUE)
            self._counted = time.monotonic()
        if self._waiting + self._adding >= self.max_pending:
            return "full"
        self._adding += 1  # counted before the write, so concurrent updates cannot overshoot
        try:
            added = await self.store.enqueue(QUEUE, str(update_id), chat, data)
        finally:
            self._adding -= 1
        self._waiting += added
        self._wake.set()
        return "queued" if added else "duplicate"

    async def start(self) -> None:
        """Begin working in the background."""
        self._task = asyncio.create_task(self._run())

    async def stop(self, grace: float = 10.0) -> None:
        """Stop taking work; let updates in hand finish for up to `grace` seconds."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._busy:
            await asyncio.wait(self._busy, timeout=grace)
        for task in self._busy:  # what is left stays in the inbox for the next process
            task.cancel()

    async def idle(self) -> bool:
        """Nothing waiting and nothing in hand."""
        return not self._busy and await self.store.pending(QUEUE) == 0

    async def _run(self) -> None:
        while not self._stopping:
            room = self.concurrency - len(self._busy)
            claimed = []
            if room > 0:
                try:
                    claimed = await self.store.claim(QUEUE, room, LEASE)
                except Exception:  # the store is down: try again shortly, never die
                    log.exception("cannot read the Telegram inbox; retrying")
            for item in claimed:
                task = asyncio.create_task(self._handle(item.id, item.data, item.attempts))
                self._busy.add(task)
                task.add_done_callback(self._finished)
            if not claimed:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._busy.discard(task)
        self._wake.set()  # room for more, and this chat's next update may now go

    async def _handle(self, item: str, data: str, attempts: int) -> None:
        failures: list[BaseException] = []
        token = FAILURES.set(failures)
        renewing = asyncio.create_task(self._renew(item))
        try:
            update = Update.de_json(json.loads(data), self.application.bot)
            await self.application.process_update(update)
        except Exception as exc:
            failures.append(exc)
        finally:
            FAILURES.reset(token)
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
        try:
            if not failures:
                await self.store.complete(QUEUE, item)
            elif _final(failures) or attempts >= MAX_ATTEMPTS:
                log.error(
                    "Telegram update %s given up after %d attempt(s): %s",
                    item,
                    attempts,
                    type(failures[-1]).__name__,
                )
                await self.store.complete(QUEUE, item)
            else:
                delay = min(MAX_BACKOFF, 2.0**attempts)
                log.warning("Telegram update %s failed; retrying in %.0f s", item, delay)
                await self.store.retry(QUEUE, item, delay)
        except Exception:  # the store is down; the lease runs out and it is tried again
            log.exception("cannot record the outcome of Telegram update %s", item)

    async def _renew(self, item: str) -> None:
        """Keep the lease of an update in hand: a renewal is a retry not due before it ends."""
        while True:
            await asyncio.sleep(RENEW_EVERY)
            try:
                await self.store.retry(QUEUE, item, LEASE)
            except Exception:  # the store is down: the lease may run out, and another takes it
                log.warning("cannot renew the lease of Telegram update %s", item)


def _final(failures: list[BaseException]) -> bool:
    # Blocked by the user, or a message Telegram will never accept: retrying cannot help.
    return any(isinstance(f, Forbidden | BadRequest) for f in failures)
