"""Time as the service reads it: one seam, so expiry and retention are tested without sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]  # seconds since the epoch, like time.time

system_clock: Clock = time.time
