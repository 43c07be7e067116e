"""Caches that belong to one knowledge snapshot: built with it, dropped with it at reload.

Popular questions are asked again and again in the same words; their decision (the match and
whether to show the emergency numbers first) is kept, slim, for the snapshot that made it.
Each cache is bounded, and the texts they hold go when any user asks to be forgotten.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace

from bot.content.locales import Locales
from bot.library import Snapshot
from bot.matching import Match

DECISIONS = 4096  # decisions kept per snapshot, least recently used out first


@dataclass(frozen=True)
class Decision:
    """What the matcher and triage said about one text, for one country and language."""

    match: Match  # without its analysis: entries and scores only
    emergency: bool


class SnapshotCaches:
    """Look-ups of one snapshot that are the same every time they are made."""

    def __init__(self, snapshot: Snapshot, size: int = DECISIONS) -> None:
        # Weakly: once a reload replaced it, its index is freed even if no message comes.
        self._snapshot = weakref.ref(snapshot)
        self.size = size
        self._decisions: OrderedDict[tuple[str, str | None, str | None], Decision] = OrderedDict()
        self.commands = command_index(snapshot.locales)

    @property
    def snapshot(self) -> Snapshot | None:
        """The snapshot these caches belong to, while it is still in use."""
        return self._snapshot()

    def decide(self, text: str, country: str | None, lang: str | None) -> Decision:
        """The decision for `text`; matching and triage read no case, so neither does the key."""
        key = (text.lower(), country, lang)
        found = self._decisions.get(key)
        if found is not None:
            self._decisions.move_to_end(key)
            return found
        snapshot = self.snapshot
        assert snapshot is not None, "decide is called during a turn, which holds its snapshot"
        match = snapshot.matcher.match(key[0], country, lang)
        slim = replace(
            match,
            analysis=None,
            notes=(),
            candidates=tuple(replace(c, gains=tuple) for c in match.candidates),
        )
        decision = Decision(slim, snapshot.triage.is_emergency(key[0]))
        self._decisions[key] = decision
        if len(self._decisions) > self.size:
            self._decisions.popitem(last=False)
        return decision

    def forget_texts(self) -> None:
        """Drop every text kept (a user asked to be forgotten)."""
        self._decisions.clear()


def command_index(locales: Locales) -> dict[tuple[str, ...], tuple[str, tuple[str, ...]]]:
    """Whole-message command phrases → the command, and the languages that say it so.

    Where one phrase names two commands, the first language's first command wins, as a scan of
    every language's phrases in order would decide.
    """
    found: dict[tuple[str, ...], tuple[str, list[str]]] = {}
    for code, language in locales.languages.items():
        for name, phrases in language.commands.items():
            for phrase in phrases:
                command, speakers = found.setdefault(tuple(phrase), (name, []))
                if command == name and code not in speakers:
                    speakers.append(code)
    return {phrase: (name, tuple(speakers)) for phrase, (name, speakers) in found.items()}
