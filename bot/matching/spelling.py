"""Typo correction against the words the base and the lexicon know.

A deletion index (the SymSpell idea) finds candidates one edit away with a few dictionary
look-ups; for long words, rapidfuzz searches two edits among words of about the same length.
No message ever scans the whole vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

MIN_LENGTH = 5  # shorter words have too many neighbours to correct safely
CACHE_SIZE = 20_000  # corrections remembered per knowledge version; emptied when full


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


_SOUNDALIKE = ("cksqz", "bv", "gj", "iy")


def _same_start(word: str, candidate: str) -> bool:
    """People rarely mistype the first letter, except by sound ("sertificado") or a silent h
    ("ospital"); any other change turns real words into others ("clientes" → "dientes")."""
    first, other = word[0], candidate[0]
    if first == other or (other == "h" and candidate[1:2] == first):
        return True
    return any(first in group and other in group for group in _SOUNDALIKE)


def max_edits(word: str) -> int:
    """How many edits a word of this length may be away from the one meant."""
    return 1 if len(word) < 8 else 2


class Speller:
    """Suggests the known word a mistyped word was meant to be."""

    def __init__(self, words: Iterable[str], frequency: Mapping[str, int] | None = None) -> None:
        self.words = frozenset(words)
        self.frequency = frequency or {}
        index: dict[str, list[str]] = {}
        for word in self.words:
            if len(word) >= MIN_LENGTH - 1 and not word.isdigit():
                for deleted in _deletes(word):
                    index.setdefault(deleted, []).append(word)
        self._index = index
        # Two-edit candidates must start like the word typed (see _same_start), so they are
        # kept by first letter and length: a search reads a few hundred words, not thousands.
        by_start: dict[tuple[str, int], list[str]] = {}
        for word in self.words:
            if len(word) >= 6 and word.isalpha():
                by_start.setdefault((word[0], len(word)), []).append(word)
                if word[0] == "h":  # "ospital" is looked for among words in h + o
                    by_start.setdefault(("h" + word[1], len(word)), []).append(word)
        self._by_start = by_start
        self._cache: dict[tuple[str, frozenset[str]], str | None] = {}

    def __contains__(self, word: str) -> bool:
        return word in self.words

    def correct(self, word: str, prefer: frozenset[str] | set[str] = frozenset()) -> str | None:
        """The known word closest to `word`, or None when there is no safe guess.

        Among equally close words, those in `prefer` (the message's language) win, then the
        more frequent ones.
        """
        if word in self.words:
            return word
        if len(word) < MIN_LENGTH or not word.isalpha():
            return None
        key = (word, prefer if isinstance(prefer, frozenset) else frozenset(prefer))
        if key in self._cache:
            return self._cache[key]
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        found = self._cache[key] = self._search(word, key[1])
        return found

    def _search(self, word: str, prefer: frozenset[str]) -> str | None:
        candidates: set[str] = set(self._index.get(word, ()))
        for deleted in _deletes(word):
            if deleted in self.words:
                candidates.add(deleted)
            candidates.update(self._index.get(deleted, ()))
        limit = max_edits(word)
        if not candidates and limit > 1:
            # Two edits: rapidfuzz over the words of about the same length, in C.
            starts = [word[0], "h" + word[0]]
            starts.extend(next((g for g in _SOUNDALIKE if word[0] in g), ""))
            nearby = [
                w
                for start in dict.fromkeys(starts)
                for n in range(len(word) - 2, len(word) + 3)
                for w in self._by_start.get((start, n), ())
            ]
            found = process.extract(
                word, nearby, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=5
            )
            candidates.update(choice for choice, _distance, _index in found)
        best: tuple[int, bool, int, str] | None = None
        for candidate in candidates:
            if not _same_start(word, candidate):
                continue
            distance = DamerauLevenshtein.distance(word, candidate, score_cutoff=limit)
            if distance > limit:
                continue
            # Same first letter and a frequent word break ties: people rarely mistype the start.
            key = (distance, candidate not in prefer, -self.frequency.get(candidate, 0), candidate)
            if best is None or key < best:
                best = key
        return best[-1] if best else None
