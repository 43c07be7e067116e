"""Where sessions live: SQLite for one machine, Redis when several processes share the work.

Every store keeps the same contract: sessions by an opaque key, markers that remember a
redelivered update for a day, and a per-user lock so one user's messages are handled one at a
time, in order.
"""

from __future__ import annotations

from bot.clock import Clock, system_clock
from bot.storage.contract import (
    DAY,
    SESSION_DAYS,
    Locks,
    Logs,
    Markers,
    Sessions,
    Store,
    StoreError,
    session_key,
)
from bot.storage.redis import RedisStore
from bot.storage.sqlite import SqliteStore

__all__ = [
    "DAY",
    "Locks",
    "Logs",
    "Markers",
    "RedisStore",
    "Sessions",
    "SqliteStore",
    "Store",
    "StoreError",
    "open_store",
    "session_key",
]


def open_store(spec: str, clock: Clock = system_clock, session_days: int = SESSION_DAYS) -> Store:
    """A store from SESSION_STORE: a redis:// URL, or a SQLite file path."""
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(spec, clock=clock, session_days=session_days)
    return SqliteStore(spec, clock=clock, session_days=session_days)
