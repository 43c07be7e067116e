"""One user's turn on Redis: a queue of tickets per user, first come, first served, everywhere.

A polling lock is not fair: whoever polls first after a release wins, so one user's messages
that wait together are answered in any order. Here each message takes a ticket at the back of
its user's list in Redis, in one script; the head of the list holds the turn. A waiter sleeps
in BLPOP on its own wake-up key, which the leaving holder pushes to, so nobody polls; it looks
again every `CHECK_EVERY` seconds all the same, in case a wake-up was lost. Every ticket has a
lease: a holder's lasts `hold` seconds, a waiter's is renewed each time it looks, and a ticket
whose lease ran out (its process died) is dropped when it reaches the head, so the next one goes.

Lease and wake-up keys are named from the queue's key inside the scripts: a standalone Redis
(what Puente uses) allows that; Redis Cluster would need hash tags.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.exceptions import RedisError

from bot.storage.contract import LocalLocks, TurnTimeout

log = logging.getLogger(__name__)
CHECK_EVERY = 1.0  # seconds a waiter sleeps at most before it looks at the queue itself
WAITER_LEASE = 10.0  # a waiter unseen this long (its process died) loses its place

# The live head of the queue, dropping tickets whose lease ran out; it is woken when it changed.
_HEAD = """
local queue, base = KEYS[1], ARGV[1]
local function head(before)
  local first = redis.call('LINDEX', queue, 0)
  while first and redis.call('EXISTS', base .. first) == 0 do
    redis.call('LPOP', queue)
    first = redis.call('LINDEX', queue, 0)
  end
  if first and first ~= before then
    redis.call('RPUSH', base .. first .. ':w', '1')
    redis.call('PEXPIRE', base .. first .. ':w', ARGV[3])
  end
  return first
end
"""
# The end of taking and of checking: the queue lives while anyone holds or waits, and a ticket
# at the head holds the turn for the holder's lease.
_HOLD_IF_FIRST = """
redis.call('PEXPIRE', queue, ARGV[4])
if head(redis.call('LINDEX', queue, 0)) == ticket then
  redis.call('SET', base .. ticket, '1', 'PX', ARGV[4])
  return 1
end
return 0
"""
# ARGV: base, ticket, waiter ms, holder ms. 1: the turn is the ticket's; 0: wait.
_TAKE = (
    _HEAD
    + """
local ticket = ARGV[2]
redis.call('SET', base .. ticket, '1', 'PX', ARGV[3])
redis.call('RPUSH', queue, ticket)
"""
    + _HOLD_IF_FIRST
)
# ARGV as for take. -1: the ticket was dropped (this waiter was unseen too long): take again.
_CHECK = (
    _HEAD
    + """
local ticket = ARGV[2]
if not redis.call('LPOS', queue, ticket) then return -1 end
redis.call('SET', base .. ticket, '1', 'PX', ARGV[3])
"""
    + _HOLD_IF_FIRST
)
# ARGV: base, ticket, waiter ms. Release, or give up waiting: the next in line is woken.
_LEAVE = (
    _HEAD
    + """
local ticket = ARGV[2]
local first = redis.call('LINDEX', queue, 0)
redis.call('DEL', base .. ticket, base .. ticket .. ':w')
redis.call('LREM', queue, 1, ticket)
head(first)
return 1
"""
)


class Turns:
    """First-come-first-served per-key turns shared by every process on one Redis."""

    def __init__(self, redis: Any, prefix: str, hold: float, wait: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._hold_ms = str(int(hold * 1000))
        self._waiter_ms = str(int(WAITER_LEASE * 1000))
        self._wait = wait
        self._take = redis.register_script(_TAKE)
        self._check = redis.register_script(_CHECK)
        self._leave = redis.register_script(_LEAVE)
        # Tickets of one process reach Redis in the order its requests came (a request that
        # opens a new connection must not be overtaken by one that found a free connection).
        self._arrivals = LocalLocks()

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Wait for `key`'s turn behind those who came first, hold it, then pass it on."""
        queue = self._prefix + "q:" + key
        base = queue + ":"
        ticket = secrets.token_hex(8)
        args = [base, ticket, self._waiter_ms, self._hold_ms]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        try:
            async with self._arrivals.hold(key):
                state = await self._take(keys=[queue], args=args)
            while state != 1:
                left = deadline - loop.time()
                if left <= 0:
                    raise TurnTimeout(f"waited {self._wait:g} s behind this user's earlier message")
                await self._redis.blpop([base + ticket + ":w"], timeout=min(CHECK_EVERY, left))
                state = await self._check(keys=[queue], args=args)
                if state == -1:
                    state = await self._take(keys=[queue], args=args)
        except TurnTimeout:
            await self._give_back(queue, args)
            raise
        except (RedisError, OSError):
            raise  # the store fails: telling it would fail too, and the waiter's lease runs out
        except BaseException:  # cancelled: the client went away
            await self._give_back(queue, args)
            raise
        try:
            yield
        finally:
            await self._give_back(queue, args)

    async def _give_back(self, queue: str, args: list[str]) -> None:
        # Shielded: a cancelled request still hands the turn on. If Redis cannot be told, the
        # ticket's lease runs out instead, and the answer already made is not thrown away; the
        # outage itself is logged once, where requests fail.
        try:
            await asyncio.shield(self._leave(keys=[queue], args=args[:3]))
        except (RedisError, OSError) as exc:
            log.debug("could not pass a user's turn on (%r); its lease will", exc)
