"""Sessions in Redis, shared by every `puente serve` process behind a load balancer."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from bot.conversation.session import Session
from bot.storage.contract import DAY, LOCK_SECONDS, SessionStore


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
