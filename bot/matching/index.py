"""The inverted index: built once per knowledge base, read by every message.

Each entry becomes a bag of features weighted by where they appear (a word in the title or in
most example questions says more than one deep in the answer), saturated as in BM25F, and
posted under the entry's country so a message only looks at its own country and the region.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import NamedTuple

from bot.content.locales import Locales
from bot.content.model import REGION, Entry, KnowledgeBase
from bot.matching.analysis import Analyzer
from bot.normalise import tokens

TITLE, KEYWORDS, QUESTIONS, QUESTION_SHARE, ANSWER, SMS = 3.0, 2.5, 1.0, 3.0, 0.5, 0.3
SATURATION = 2.0


class Posting(NamedTuple):
    """An entry holding a feature, with the feature's saturated weight in it (0..1)."""

    entry: int
    weight: float


class Index:
    """Features → entries, per country, with inverse document frequencies."""

    def __init__(self, base: KnowledgeBase, locales: Locales) -> None:
        self.base = base
        self.entries = base.entries
        self.analyzer = Analyzer(locales)
        self.analyzer.know_places(
            {
                tuple(tokens(name))
                for country in base.countries.values()
                for name in (*country.names.values(), *country.aliases)
                if tokens(name)
            }
        )
        seen: Counter[str] = Counter()
        self.asked: list[list[frozenset[str]]] = []  # each entry's example questions
        self._analysed: dict[tuple[str, str], tuple[frozenset[str], Counter[str]]] = {}
        frequencies = [self._entry_features(e, seen) for e in self.entries]
        for country in base.countries.values():
            for name in (*country.names.values(), *country.aliases):
                seen.update(tokens(name))
        self.analyzer.learn(seen)
        self._analysed.clear()
        document_frequency: dict[str, int] = defaultdict(int)
        for features in frequencies:
            for key in features:
                document_frequency[key] += 1
        total = max(len(self.entries), 1)
        self.idf = {
            key: math.log(1 + (total - df + 0.5) / (df + 0.5))
            for key, df in document_frequency.items()
        }
        self.idf_unseen = math.log(1 + (total + 0.5) / 0.5)
        # Each example question's length as a vector of idf weights, for the re-ranking.
        self.asked_sizes: list[list[float]] = [
            [math.sqrt(sum(self.idf.get(k, self.idf_unseen) ** 2 for k in keys)) for keys in qs]
            for qs in self.asked
        ]
        # Per entry, which of its example questions hold each feature: the re-ranking reads
        # only the message's features, not every question of every leader.
        self.asked_by_key: list[dict[str, tuple[int, ...]]] = []
        for questions in self.asked:
            holders: dict[str, list[int]] = defaultdict(list)
            for n, keys in enumerate(questions):
                for key in keys:
                    holders[key].append(n)
            self.asked_by_key.append({key: tuple(ns) for key, ns in holders.items()})
        # Each entry's features with their saturated weight in it (0..1), as posted below.
        self.features: list[dict[str, float]] = [
            {key: tf / (tf + SATURATION) for key, tf in features.items()}
            for features in frequencies
        ]
        self.postings: dict[str, dict[str, list[Posting]]] = defaultdict(dict)
        for number, (entry, features) in enumerate(zip(self.entries, self.features, strict=True)):
            scope = self.postings[entry.country or REGION]
            for key, weight in features.items():
                scope.setdefault(key, []).append(Posting(number, weight))

    def scopes(self, country: str | None) -> tuple[str, ...]:
        """The posting lists a message in `country` looks at: the country's, then the region's."""
        if country is None:
            return tuple(self.postings)
        return (country, REGION) if country in self.postings else (REGION,)

    def _entry_features(self, entry: Entry, seen: Counter[str]) -> dict[str, float]:
        tf: dict[str, float] = defaultdict(float)

        def analyse(text: str, lang: str) -> frozenset[str]:
            # Titles and answers often repeat across countries: analyse each text once, and
            # count its words again from what the first reading kept.
            key = (text, lang)
            found = self._analysed.get(key)
            if found is None:
                words: Counter[str] = Counter()
                keys = self.analyzer.keys_known(text, lang, words)
                found = self._analysed[key] = (keys, words)
            seen.update(found[1])
            return found[0]

        def add(keys: frozenset[str], weight: float) -> None:
            for key in keys:
                tf[key] += weight

        # A field counts once however many languages say it: presence, not repetition.
        def field(texts: dict[str, tuple[str, ...]]) -> frozenset[str]:
            return frozenset().union(*(analyse(t, lang) for lang, ts in texts.items() for t in ts))

        add(field({lang: (text,) for lang, text in entry.title.items()}), TITLE)
        add(field(dict(entry.keywords)), KEYWORDS)
        add(field({lang: (text,) for lang, text in entry.answer.items()}), ANSWER)
        add(field({lang: (text,) for lang, text in entry.sms.items()}), SMS)
        asked = [analyse(q, lang) for lang, qs in entry.questions.items() for q in qs]
        self.asked.append([frozenset(keys) for keys in asked if keys])
        if asked:
            counts: dict[str, int] = defaultdict(int)
            for keys in asked:
                for key in keys:
                    counts[key] += 1
            for key, count in counts.items():
                tf[key] += QUESTIONS + QUESTION_SHARE * count / len(asked)
        return dict(tf)
