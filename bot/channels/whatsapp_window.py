"""WhatsApp's 24-hour rule: free-form messages only within 24 hours of the user's last message.

Outside that window WhatsApp accepts only an approved template. The store has no "last seen"
field, so each inbound message leaves a marker for its hour (tied to the user, so forget-me
removes it); the window is open while a marker of the last 24 hours exists. Counting from the
start of the hour makes the window close up to an hour early, never late.
"""

from __future__ import annotations

from bot.clock import Clock, system_clock
from bot.storage import Store
from bot.storage.contract import user_marker

WINDOW = 24 * 3600
HOUR = 3600


def _marker(key: str, hour: int) -> str:
    return user_marker(key, f"wa24:{hour}")


class Window:
    """Records users' inbound WhatsApp messages and tells whether their window is open."""

    def __init__(self, store: Store, clock: Clock = system_clock) -> None:
        self.store = store
        self.clock = clock

    async def saw(self, key: str) -> None:
        """The user (by session key) just wrote to us."""
        hour = int(self.clock() // HOUR)
        await self.store.remember(_marker(key, hour), "1", ttl=WINDOW + 2 * HOUR)

    async def open(self, key: str) -> bool:
        """Whether a free-form message may be sent to the user now."""
        now = self.clock()
        newest = int(now // HOUR)
        # A message in hour h counts as sent at h's start: the window is open until h + 24 h.
        oldest = int((now - WINDOW) // HOUR) + 1
        for hour in range(newest, oldest - 1, -1):
            if await self.store.recall(_marker(key, hour)) is not None:
                return True
        return False
