"""One consistent version of the knowledge base, the locales and the index built on them.

Messages always read one snapshot from start to end; a reload builds a new one aside and
swaps it in with a single assignment, so nobody is answered from a half-loaded base.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.locales import Locales, load_locales
from bot.matching import Matcher
from bot.yamlsource import Problem

DEFAULT_LOCALES = Path(__file__).resolve().parent.parent / "locales"


@dataclass(frozen=True)
class Snapshot:
    """A loaded, validated and indexed base, ready to answer."""

    base: KnowledgeBase
    locales: Locales
    matcher: Matcher
    problems: tuple[Problem, ...]

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
    return Snapshot(base, loaded_locales, matcher, (*problems, *locale_problems))


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
