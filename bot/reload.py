"""Live reload: knowledge and locale edits go live without a restart, and never break the bot.

A change is loaded, validated and indexed in a worker thread, off the request path. Only a
base without errors is swapped in, in one assignment; a broken edit is refused whole and its
errors are shown in the log and in /healthz while the last good version keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from watchfiles import awatch

from bot.snapshot import Library, build_snapshot

log = logging.getLogger(__name__)


async def reload_once(library: Library, knowledge: Path, locales: Path) -> bool:
    """Build a new snapshot aside; swap it in if it has no errors. Return whether it was."""
    snapshot = await asyncio.to_thread(build_snapshot, knowledge, locales)
    if snapshot.errors:
        library.refused = snapshot
        for problem in snapshot.errors:
            log.error("content change refused: %s", problem)
        return False
    library.current = snapshot
    library.refused = None
    log.info(
        "knowledge version %s is live (%d entries)", snapshot.version, len(snapshot.base.entries)
    )
    return True


class Watcher:
    """Watches the folders and reloads on every change."""

    def __init__(self, library: Library, knowledge: Path, locales: Path) -> None:
        self.library = library
        self.folders = [knowledge, locales]
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Begin watching in the background."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        folders = [str(f) for f in self.folders if f.exists()]
        async for _changes in awatch(*folders, stop_event=self._stop, debounce=300):
            try:
                await reload_once(self.library, *self.folders)
            except Exception:  # a reload must never take the service down
                log.exception("reload failed; still serving the last good version")
