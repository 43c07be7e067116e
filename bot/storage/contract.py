"""The contract every session store keeps (tests/storage runs one suite against each)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from bot.conversation.session import Session

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
