"""One consistent version of the knowledge base, the locales and the index built on them.

Messages always read one snapshot from start to end; a reload builds a new one aside and
swaps it in with a single assignment, so nobody is answered from a half-loaded base.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from watchfiles import awatch

from bot.content import KnowledgeBase, load_knowledge
from bot.content.locales import Locales, load_locales
from bot.content.triage import Triage, load_triage
from bot.content.yamlsource import Problem
from bot.matching import Matcher
from bot.settings import DEFAULT_LOCALES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """A loaded, validated and indexed base, ready to answer."""

    base: KnowledgeBase
    locales: Locales
    matcher: Matcher
    problems: tuple[Problem, ...]
    triage: Triage

    @property
    def version(self) -> str:
        """Changes whenever a knowledge or locale file changes."""
        return f"{self.base.version}-{self.locales.version}"

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems that are errors, not warnings."""
        return tuple(p for p in self.problems if p.severity == "error")


def build_snapshot(knowledge: Path, locales: Path = DEFAULT_LOCALES) -> Snapshot:
    """Load, validate and index; problems are collected, never raised."""
    with _no_cyclic_gc():
        base, problems = load_knowledge(knowledge)
        loaded_locales, locale_problems = load_locales(locales)
        matcher = Matcher(base, loaded_locales)
        triage, triage_problems = load_triage(locales / "triage")
    found = (*problems, *locale_problems, *triage_problems)
    return Snapshot(base, loaded_locales, matcher, found, triage)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    # Building allocates millions of small objects that all live on; the cyclic collector
    # would scan them again and again for nothing (a third of the load time). Reference
    # counting still frees garbage meanwhile.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Library:
    """Holds the snapshot being served; swapping it is one atomic assignment."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.current = snapshot
        self.refused: Snapshot | None = None


# Live reload: knowledge and locale edits go live without a restart, and never break the bot.
# A change is loaded, validated and indexed in a worker thread, off the request path. Only a
# base without errors is swapped in, in one assignment; a broken edit is refused whole and its
# errors are shown in the log and in /healthz while the last good version keeps serving.


async def reload_once(library: Library, knowledge: Path, locales: Path) -> bool:
    """Build a new snapshot aside; swap it in if it has no errors. Return whether it was."""
    snapshot = await asyncio.to_thread(build_snapshot, knowledge, locales)
    published = publish(library, snapshot)
    if published:
        await asyncio.to_thread(_give_back_memory)
    return published


def publish(library: Library, snapshot: Snapshot) -> bool:
    """Swap `snapshot` in if it has no errors, else keep it as the refused one."""
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


# An editor, `cp` or `git checkout` may write a file in several steps; a prefix cut at an
# entry's end is valid YAML and would go live, with entries missing, until the rest lands. A
# reload waits until no file under the folders changed for this long, and is dropped if one
# changed while it was being built (the watcher then sees that change and tries again).
SETTLE = 1.0


def _fingerprint(folders: list[Path]) -> tuple[tuple[str, int, int], ...]:
    """Every file's path, modification time and size: what a save in progress changes."""
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            try:
                stat = path.stat()
            except OSError:  # deleted while we looked: the next look sees it gone
                continue
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(found)


def _give_back_memory() -> None:
    """The old snapshot's memory, back to the system: without this a reload's peak stays."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)


class Watcher:
    """Watches the folders and reloads once a change has settled."""

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
        loaded = await asyncio.to_thread(_fingerprint, self.folders)
        async for _changes in awatch(*folders, stop_event=self._stop, debounce=300):
            try:
                still = await self._settled()
                if still == loaded:  # changes the last reload already took in
                    continue
                snapshot = await asyncio.to_thread(build_snapshot, *self.folders)
                if await asyncio.to_thread(_fingerprint, self.folders) != still:
                    continue  # written to while we read it: the watcher reports that change
                if publish(self.library, snapshot):
                    await asyncio.to_thread(_give_back_memory)
                loaded = still  # refused or not, this tree has had its say
            except Exception:  # a reload must never take the service down
                log.exception("reload failed; still serving the last good version")

    async def _settled(self) -> tuple[tuple[str, int, int], ...]:
        """Wait until the folders have been still for SETTLE seconds; their fingerprint then."""
        before = await asyncio.to_thread(_fingerprint, self.folders)
        while True:
            await asyncio.sleep(SETTLE)
            after = await asyncio.to_thread(_fingerprint, self.folders)
            if after == before:
                return after
            before = after
