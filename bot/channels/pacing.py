"""Sending at a bounded rate: evenly spaced slots, and a pause when the provider says 429."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Pace:
    """At most `rate` sends per second from this process, spaced evenly."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self._next = 0.0

    async def wait(self) -> None:
        """Wait for this send's slot."""
        now = self.clock()
        at = max(now, self._next)
        self._next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)

    def pause(self, seconds: float) -> None:
        """Send nothing for `seconds` (a 429's retry_after): every later slot moves too."""
        self._next = max(self._next, self.clock() + seconds)


class PerChat:
    """At most one send per `interval` seconds to the same chat (Telegram asks for 1/s)."""

    def __init__(self, interval: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._last: dict[str, float] = {}

    async def wait(self, chat: str) -> None:
        """Wait until `chat` may get its next message."""
        now = self.clock()
        if len(self._last) > 10_000:  # keep only chats sent to within the interval
            self._last = {c: t for c, t in self._last.items() if now - t < self.interval}
        at = max(now, self._last.get(chat, -self.interval) + self.interval)
        self._last[chat] = at
        if at > now:
            await asyncio.sleep(at - now)
