"""Everything in Redis, shared by every `puente serve` process behind a load balancer."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from bot.clock import Clock, system_clock
from bot.storage.contract import DAY, LOCK_SECONDS, Store


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class RedisStore(Store):
    """Sessions, markers, logs and locks in one Redis database, under one key prefix."""

    def __init__(self, url: str, prefix: str = "puente:", clock: Clock = system_clock) -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url)
        self._prefix = prefix
        self._clock = clock

    def _session(self, key: str) -> str:
        return self._prefix + "s:" + key

    def _marker(self, marker: str) -> str:
        return self._prefix + "m:" + marker

    async def load(self, key: str) -> str | None:
        return _text(await self._redis.get(self._session(key)))

    async def save(self, key: str, data: str) -> None:
        await self._redis.set(self._session(key), data)

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._session(key))

    async def begin(self, key: str, marker: str | None) -> tuple[str | None, str | None]:
        names = [self._session(key)]
        if marker is not None:
            names.append(self._marker(marker))
        values = await self._redis.mget(names)
        if marker is not None and values[1] is not None:
            return _text(values[1]), None
        return None, _text(values[0])

    async def finish(
        self,
        key: str,
        data: str | None,
        marker: str | None = None,
        result: str = "",
        ttl: int = DAY,
    ) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            if data is None:
                pipe.delete(self._session(key))
            else:
                pipe.set(self._session(key), data)
            if marker is not None:
                pipe.set(self._marker(marker), result, nx=True, ex=ttl)
            await pipe.execute()

    async def remember(self, marker: str, value: str, ttl: int = DAY) -> str | None:
        name = self._marker(marker)
        if await self._redis.set(name, value, nx=True, ex=ttl):
            return None
        return _text(await self._redis.get(name))

    async def recall(self, marker: str) -> str | None:
        return _text(await self._redis.get(self._marker(marker)))

    async def append(self, log: str, data: str, at: float | None = None) -> None:
        # A sorted set by time; a random prefix keeps identical texts as separate records.
        member = f"{secrets.token_hex(6)}:{data}"
        stamp = self._clock() if at is None else at
        await self._redis.zadd(self._prefix + "r:" + log, {member: stamp})

    async def records(self, log: str, since: float = 0.0) -> list[tuple[float, str]]:
        found = await self._redis.zrangebyscore(
            self._prefix + "r:" + log, since, "+inf", withscores=True
        )
        return [(float(score), member.decode().split(":", 1)[1]) for member, score in found]

    async def prune(self, log: str, before: float) -> int:
        name = self._prefix + "r:" + log
        return int(await self._redis.zremrangebyscore(name, "-inf", f"({before}"))

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
