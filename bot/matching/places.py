"""Countries named in a message, and whether help is needed there or it is only an origin.

"I'm going back to Jamaica" asks about Jamaica; "soy hondureño" or "I got my degree in
Venezuela" only say where someone is from. The words right before the name decide, using the
cue phrases of every language in `locales/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.content.locales import Locales, Phrase
from bot.content.model import Country
from bot.normalise import tokens

_SHORT_ALIAS = 3  # names this short ("rd", "tt") are common words too: they need a cue


@dataclass(frozen=True)
class Mention:
    """A country named in a message; `role` is 'presence' (the user is there: it becomes their
    country), 'destination' (help is needed there), 'origin' or 'bare'."""

    country: str
    role: str
    words: str


class PlaceFinder:
    """Finds country names, local names and aliases of the base's countries in a message."""

    def __init__(self, countries: Mapping[str, Country], locales: Locales) -> None:
        self._names: dict[Phrase, str] = {}
        for code, country in countries.items():
            for name in (*country.names.values(), *country.aliases):
                phrase = tuple(tokens(name))
                if phrase:
                    self._names.setdefault(phrase, code)
        self._longest = max((len(p) for p in self._names), default=1)
        self._firsts = {phrase[0] for phrase in self._names}
        self._destination: set[Phrase] = set()
        self._origin: set[Phrase] = set()
        self._presence: set[Phrase] = set()
        for language in locales.languages.values():
            self._destination.update(language.destination_cues)
            self._origin.update(language.origin_cues)
            self._presence.update(language.presence_cues)
        cues = self._destination | self._origin | self._presence
        self._cue_length = max((len(c) for c in cues), default=1)

    def find(self, words: list[str]) -> list[Mention]:
        """Every country named in `words` (folded tokens), in order."""
        mentions = []
        firsts = self._firsts
        i = 0
        while i < len(words):
            if words[i] not in firsts:
                i += 1
                continue
            for span in range(min(self._longest, len(words) - i), 0, -1):
                phrase = tuple(words[i : i + span])
                code = self._names.get(phrase)
                if code is None:
                    continue
                role = self._role(words, i)
                if role != "bare" or len("".join(phrase)) > _SHORT_ALIAS:
                    mentions.append(Mention(code, role, " ".join(phrase)))
                i += span - 1
                break
            i += 1
        return mentions

    def destination(self, words: list[str], current: str | None) -> Mention | None:
        """The country the user needs help in, when the message names one other than `current`."""
        mentions = [m for m in self.find(words) if m.role != "origin"]
        for role in ("presence", "destination", "bare"):
            for mention in mentions:
                if mention.role == role and mention.country != current:
                    return mention
        return None

    def _role(self, words: list[str], start: int) -> str:
        # The longest cue ending right before the name wins: "degree in" (origin) beats "in".
        for span in range(min(self._cue_length, start), 0, -1):
            cue = tuple(words[start - span : start])
            if cue in self._origin:
                return "origin"
            if cue in self._presence:
                return "presence"
            if cue in self._destination:
                return "destination"
        return "bare"
