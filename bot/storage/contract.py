"""What every store keeps, one small contract per concern.

A store holds text only: the conversation layer decides what a session looks like. Both
backends implement all four contracts and pass one shared suite (tests/storage).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

DAY = 86_400
PURGE_EVERY = 60.0  # seconds between sweeps of expired redelivery markers
LOCK_SECONDS = 30  # a lock outlives no crashed process by more than this
TURN_WAIT = 10  # seconds a message waits for its user's turn: an SMS is answered within 15
SESSION_DAYS = 90  # a session untouched this long is deleted


def session_key(secret: str, channel: str, user: str) -> str:
    """An HMAC of channel and user id: no phone number or chat id is ever stored in clear."""
    message = f"{channel}\0{user}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def user_marker(key: str, marker: str) -> str:
    """A marker's stored name: tied to its user, so forgetting the user forgets it too."""
    return f"{marker}@{key}"


class Sessions(ABC):
    """Conversation state by opaque key, read and written once per message.

    `begin` and `finish` take the provider's marker as given; stores keep it under
    `user_marker(key, marker)`.
    """

    @abstractmethod
    async def load(self, key: str) -> str | None:
        """The stored session text, or None."""

    @abstractmethod
    async def save(self, key: str, data: str) -> None:
        """Store (or replace) a session."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Forget a session entirely."""

    @abstractmethod
    async def forget(self, key: str) -> None:
        """Delete the session and every marker recorded for it (their replies included)."""

    @abstractmethod
    async def begin(self, key: str, marker: str | None) -> tuple[str | None, str | None]:
        """The result recorded for `marker` (a redelivery), else None, and the stored session."""

    @abstractmethod
    async def finish(
        self,
        key: str,
        data: str | None,
        marker: str | None = None,
        result: str = "",
        ttl: int = DAY,
    ) -> None:
        """In one write: store the session (None deletes it) and record `marker` → `result`."""


class Markers(ABC):
    """Short-lived facts such as "this update was handled", each with an expiry."""

    @abstractmethod
    async def remember(self, marker: str, value: str, ttl: int = DAY) -> str | None:
        """Record `marker` → `value` unless already there; return the earlier value if it was."""

    @abstractmethod
    async def recall(self, marker: str) -> str | None:
        """The value recorded for `marker`, if it has not expired."""


class Logs(ABC):
    """Append-only logs of JSON records stamped with a time, pruned by age."""

    @abstractmethod
    async def append(self, log: str, data: str, at: float | None = None) -> None:
        """Add a record to a log, stamped with `at` or now."""

    @abstractmethod
    async def records(self, log: str, since: float = 0.0) -> list[tuple[float, str]]:
        """The records of a log stamped at or after `since`, oldest first."""

    @abstractmethod
    async def prune(self, log: str, before: float) -> int:
        """Delete the records stamped before `before`; return how many went."""

    @abstractmethod
    async def forget_records(self, log: str, tag: str) -> int:
        """Delete the records whose text carries `tag` (a user's pseudonym); return how many."""


class Locks(ABC):
    """One user's messages are handled one at a time, in the order they came."""

    @abstractmethod
    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the user's lock while one message is handled.

        Waiters get it in the order they came, across every process sharing the store; a
        cancelled waiter leaves the line. Stores shared by processes bound the wait
        (`TurnTimeout`) and the hold (`LOCK_SECONDS`, so a crashed holder's turn passes on).
        """


@dataclass(frozen=True)
class Claimed:
    """An item taken from an inbox to work on, until its lease runs out."""

    id: str
    data: str
    attempts: int  # this one included
    enqueued: float


class Inbox(ABC):
    """Work accepted but not yet done, kept until done: a webhook's 200 is a promise.

    Items of one `user` are handed out one at a time, in the order they came, across every
    process that shares the store.
    """

    @abstractmethod
    async def enqueue(self, queue: str, item: str, user: str, data: str) -> bool:
        """Keep `data` until done; False if `item` is already queued or was done lately."""

    @abstractmethod
    async def claim(self, queue: str, limit: int, lease: float) -> list[Claimed]:
        """Up to `limit` items whose turn it is, each held for `lease` seconds."""

    @abstractmethod
    async def complete(self, queue: str, item: str) -> None:
        """The item is done (or will never be): forget it, remember that it was."""

    @abstractmethod
    async def retry(self, queue: str, item: str, delay: float) -> None:
        """Try the item again after `delay` seconds; its user's later items wait for it."""

    @abstractmethod
    async def pending(self, queue: str) -> int:
        """How many items are waiting or in hand."""


class TurnTimeout(TimeoutError):
    """A user's earlier message held their turn past `TURN_WAIT`: answered 503, not a hang."""


# Alert subscriptions (issue 16) ----------------------------------------------------------


class Subscriptions(ABC):
    """Who gets a country's alerts, and where to send them.

    The one place a phone number or chat id is kept: a broadcast must know where to send. A
    record goes the moment its user unsubscribes, says STOP, blocks the bot or is forgotten.
    """

    @abstractmethod
    async def subscribe(self, key: str, scope: str, data: str) -> None:
        """Keep (or replace) the subscription of user `key` to `scope` (a country code)."""

    @abstractmethod
    async def unsubscribe(self, key: str, scope: str | None = None) -> None:
        """End the user's subscription to `scope`, or every one of theirs with None."""

    @abstractmethod
    async def subscribers(self, scope: str) -> list[tuple[str, str]]:
        """Every (key, data) subscribed to `scope`."""

    @abstractmethod
    async def subscribed(self, key: str, scope: str) -> bool:
        """Whether the user is (still) subscribed to `scope`."""


class StoreError(Exception):
    """The store cannot be opened or used; the message names SESSION_STORE and what to do."""


class Store(Sessions, Markers, Logs, Locks, Inbox, Subscriptions):
    """Everything the service keeps, in one backend."""

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the store cannot serve (down, frozen, disk full)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""


class LocalLocks:
    """Per-key asyncio locks for stores used by one process."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Wait for, then hold, the lock of `key`."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:  # drop idle locks so memory does not grow with users
                del self._users[key], self._locks[key]
