"""What a SQLite file holds, kept in memory by the one process allowed to write it.

Only that process writes the file (issue 14 refuses a second), so what it wrote is what the
file holds: a look-up found here needs no trip to the database thread. Each memo is bounded;
when it is full the least recently used entry goes, and until that entry would have expired
a key not found here may still be in the file, so the caller reads the file.
"""

from __future__ import annotations

from collections import OrderedDict
from enum import Enum
from typing import Final, Generic, Literal, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class _Unknown(Enum):
    UNKNOWN = "unknown"


UNKNOWN: Final = _Unknown.UNKNOWN  # not in memory: ask the file


class Memo(Generic[K, V]):
    """Key → (value, expiry), least recently used first out."""

    def __init__(self, size: int, complete: bool = True) -> None:
        self.size = size
        self._items: OrderedDict[K, tuple[V, float]] = OrderedDict()
        # Until this time the file may hold entries this memo dropped (or never had).
        self._incomplete_until = 0.0 if complete else float("inf")

    def get(self, key: K, now: float) -> V | Literal[_Unknown.UNKNOWN] | None:
        """The value, None if the file has no live entry, or UNKNOWN."""
        item = self._items.get(key)
        if item is not None:
            value, expires = item
            if expires >= now:
                self._items.move_to_end(key)
                return value
            del self._items[key]
            return None  # the file's row expired at the same time
        return None if now > self._incomplete_until else UNKNOWN

    def put(self, key: K, value: V, expires: float) -> None:
        """The file now holds `value` for `key` until `expires`."""
        self._items[key] = (value, expires)
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            _, (_, gone) = self._items.popitem(last=False)
            self._incomplete_until = max(self._incomplete_until, gone)

    def drop(self, key: K) -> None:
        """The file no longer holds `key`."""
        self._items.pop(key, None)

    def known_until(self, moment: float) -> None:
        """The file may hold entries unknown here until `moment` (it was not read whole)."""
        self._incomplete_until = max(self._incomplete_until, moment)

    def __len__(self) -> int:
        return len(self._items)
