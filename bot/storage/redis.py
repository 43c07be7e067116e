"""Everything in Redis, shared by every `puente serve` process behind a load balancer."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager
from typing import cast

from bot.clock import Clock, system_clock
from bot.storage.contract import (
    DAY,
    LOCK_SECONDS,
    SESSION_DAYS,
    TURN_WAIT,
    Claimed,
    Store,
    user_marker,
)
from bot.storage.redis_turns import Turns

# KEYS: done marker, order zset, data hash, user hash, enqueued hash, seq counter
# ARGV: item, user, data, now
_ENQUEUE = """
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then
  return 0
end
local seq = redis.call('INCR', KEYS[6])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[5], ARGV[1], ARGV[4])
return 1
"""
# KEYS: order zset, data, user, enqueued, available, attempts, busy hashes
# ARGV: now, lease, limit. A user's later items wait while an earlier one is waiting or held.
_CLAIM = """
local now, lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local out, seen, taken = {}, {}, 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if taken >= limit then break end
  local user = redis.call('HGET', KEYS[3], id)
  local first = not seen[user]
  seen[user] = true
  local busy = tonumber(redis.call('HGET', KEYS[7], user) or '0')
  local available = tonumber(redis.call('HGET', KEYS[5], id) or '0')
  if first and busy <= now and available <= now then
    redis.call('HSET', KEYS[5], id, now + lease)
    redis.call('HSET', KEYS[7], user, now + lease)
    local attempts = redis.call('HINCRBY', KEYS[6], id, 1)
    table.insert(out, id)
    table.insert(out, redis.call('HGET', KEYS[2], id))
    table.insert(out, attempts)
    table.insert(out, redis.call('HGET', KEYS[4], id))
    taken = taken + 1
  end
end
return out
"""
# KEYS: order, data, user, enqueued, available, attempts, busy, done marker; ARGV: item, ttl
_COMPLETE = """
local user = redis.call('HGET', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
for i = 2, 6 do redis.call('HDEL', KEYS[i], ARGV[1]) end
if user then redis.call('HDEL', KEYS[7], user) end
redis.call('SET', KEYS[8], '1', 'EX', ARGV[2])
return 1
"""
# KEYS: user, available, busy; ARGV: item, until
_RETRY = """
local user = redis.call('HGET', KEYS[1], ARGV[1])
if not user then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], user, ARGV[2])
return 1
"""
_INBOX_PARTS = ("order", "data", "user", "enqueued", "available", "attempts", "busy")


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class RedisStore(Store):
    """Sessions, markers, logs and locks in one Redis database, under one key prefix."""

    def __init__(
        self,
        url: str,
        prefix: str = "puente:",
        clock: Clock = system_clock,
        session_days: int = SESSION_DAYS,
        lock_seconds: float = LOCK_SECONDS,
        turn_wait: float = TURN_WAIT,
    ) -> None:
        from redis.asyncio import BlockingConnectionPool, Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as Dropped

        # A frozen Redis must fail a request in seconds, not hang it past Twilio's 15. Each
        # call times out after 3 s. redis-py would retry a timed-out call three times with
        # backoff (12 s and more): only a dropped connection is retried, once, at once (Redis
        # restarted). Its default pool opens connections one after another under one lock, so
        # the tenth request of an outage waited 30 s; this pool opens them side by side, and
        # a request that finds every connection busy for 3 s fails too.
        pool = BlockingConnectionPool.from_url(
            url,
            socket_timeout=3,
            socket_connect_timeout=3,
            retry=Retry(NoBackoff(), 1, supported_errors=(Dropped,)),
            max_connections=64,
            timeout=3,
        )
        self._redis = Redis.from_pool(pool)
        self._session_ttl = session_days * DAY
        self._prefix = prefix
        self._clock = clock
        self._turns = Turns(self._redis, prefix, hold=lock_seconds, wait=turn_wait)

    def _session(self, key: str) -> str:
        return self._prefix + "s:" + key

    def _marker(self, marker: str) -> str:
        return self._prefix + "m:" + marker

    async def load(self, key: str) -> str | None:
        return _text(await self._redis.get(self._session(key)))

    async def save(self, key: str, data: str) -> None:
        await self._redis.set(self._session(key), data, ex=self._session_ttl)

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._session(key))

    async def begin(self, key: str, marker: str | None) -> tuple[str | None, str | None]:
        names = [self._session(key)]
        if marker is not None:
            names.append(self._marker(user_marker(key, marker)))
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
                pipe.set(self._session(key), data, ex=self._session_ttl)
            if marker is not None:
                pipe.set(self._marker(user_marker(key, marker)), result, nx=True, ex=ttl)
            await pipe.execute()

    async def forget(self, key: str) -> None:
        names = [self._session(key)]
        async for name in self._redis.scan_iter(match=self._marker(f"*@{key}"), count=1000):
            names.append(name)
        await self._redis.delete(*names)

    async def forget_records(self, log: str, tag: str) -> int:
        name = self._prefix + "r:" + log
        doomed = [m for m in await self._redis.zrange(name, 0, -1) if tag.encode() in m]
        return int(await self._redis.zrem(name, *doomed)) if doomed else 0

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

    def lock(self, key: str) -> AbstractAsyncContextManager[None]:
        # A ticket queue, first come first served across processes (see redis_turns.py).
        return self._turns.turn(key)

    def _inbox(self, queue: str) -> dict[str, str]:
        return {part: f"{self._prefix}i:{queue}:{part}" for part in _INBOX_PARTS}

    async def enqueue(self, queue: str, item: str, user: str, data: str) -> bool:
        keys = self._inbox(queue)
        names = [
            self._marker(f"inbox:{queue}:{item}"),
            keys["order"],
            keys["data"],
            keys["user"],
            keys["enqueued"],
            self._prefix + f"i:{queue}:seq",
        ]
        script = self._redis.register_script(_ENQUEUE)
        return bool(await script(keys=names, args=[item, user, data, self._clock()]))

    async def claim(self, queue: str, limit: int, lease: float) -> list[Claimed]:
        keys = self._inbox(queue)
        script = self._redis.register_script(_CLAIM)
        flat = await script(
            keys=[keys[p] for p in _INBOX_PARTS], args=[self._clock(), lease, limit]
        )
        return [
            Claimed(
                _text(flat[i]) or "",
                _text(flat[i + 1]) or "",
                int(flat[i + 2]),
                float(_text(flat[i + 3]) or 0),
            )
            for i in range(0, len(flat), 4)
        ]

    async def complete(self, queue: str, item: str) -> None:
        keys = self._inbox(queue)
        names = [*(keys[p] for p in _INBOX_PARTS), self._marker(f"inbox:{queue}:{item}")]
        await self._redis.register_script(_COMPLETE)(keys=names, args=[item, DAY])

    async def retry(self, queue: str, item: str, delay: float) -> None:
        keys = self._inbox(queue)
        names = [keys["user"], keys["available"], keys["busy"]]
        until = self._clock() + delay
        await self._redis.register_script(_RETRY)(keys=names, args=[item, until])

    async def pending(self, queue: str) -> int:
        return int(await self._redis.zcard(self._inbox(queue)["order"]))

    # Alert subscriptions (issue 16): a hash per scope, and the scopes of each user ------------

    async def subscribe(self, key: str, scope: str, data: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._prefix + "sub:" + scope, key, data)
            pipe.sadd(self._prefix + "subof:" + key, scope)
            await pipe.execute()

    async def unsubscribe(self, key: str, scope: str | None = None) -> None:
        mine = self._prefix + "subof:" + key
        scopes = (
            [scope]
            if scope is not None
            else [_text(s) for s in await cast(Awaitable[set[bytes]], self._redis.smembers(mine))]
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            for name in scopes:
                pipe.hdel(self._prefix + "sub:" + str(name), key)
            if scope is None:
                pipe.delete(mine)
            else:
                pipe.srem(mine, scope)
            await pipe.execute()

    async def subscribers(self, scope: str) -> list[tuple[str, str]]:
        found = await cast(
            Awaitable[dict[bytes, bytes]], self._redis.hgetall(self._prefix + "sub:" + scope)
        )
        return sorted((_text(k) or "", _text(v) or "") for k, v in found.items())

    async def subscribed(self, key: str, scope: str) -> bool:
        return bool(
            await cast(Awaitable[bool], self._redis.hexists(self._prefix + "sub:" + scope, key))
        )

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()
