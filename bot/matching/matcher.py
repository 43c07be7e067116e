"""A message → the best entry, or an honest "not sure" with suggestions.

Pure and synchronous: analyse → look up the country's postings → score → decide.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, partial
from operator import itemgetter

from bot.content.locales import Locales
from bot.content.model import REGION, Entry, KnowledgeBase
from bot.matching.analysis import TERM_WEIGHT, Analysis, Feature
from bot.matching.index import Index
from bot.matching.places import Mention, PlaceFinder

REGION_FACTOR = 0.75  # a country's own entry beats a regional one that says the same
LOCAL_SHARE = 0.65  # a country's entry this close to a region leader on its subject answers
FOREIGN_SHARE = 0.5  # a word no entry in scope uses, as a share of its usual weight
UNKNOWN_SHARE = 0.15  # an unrecognised word weighs this share of the rarest known word
CONTEXT_SHARE = 0.5  # in a story, a sentence around the one that asks counts this much
UNEXPLAINED_SHARE = 0.5  # a real word no entry uses, at full rarity, as a share of the rarest
FULL_COVERAGE = 0.75  # an entry explaining this share of the message's weight scores 100
SENTENCE_SHARE = 0.9  # one sentence explained on its own counts a little less than the whole
ANSWER_AT = 20  # below this score the matcher says it is not sure
# A need the base does not cover ("préstamo para un negocio", "visa americana") asked for in the
# message's asking sentence is refused unless an entry explains the message this well anyway.
OUT_OF_SCOPE_OVERRIDE = 60
SUGGEST_AT = 12  # candidates below this are not even worth suggesting
KEEP = 8  # how many of the best-scored entries become candidates
RERANK = 5  # how many leaders the example questions re-rank
QUESTION_BONUS = 4.0  # at best a leader's weight grows fivefold


class Reason(StrEnum):
    """Why the matcher decided what it did."""

    MATCHED = "matched"
    NOT_SURE = "not sure"
    NOTHING = "nothing in the base matches"
    OUTSIDE = "a need the base does not cover"
    GREETING = "greeting"
    THANKS = "thanks"


@dataclass(frozen=True)
class Candidate:
    """One scored entry, with the features that earned its score."""

    entry: Entry
    score: int
    weight: float
    # What each feature gave the entry is worked out only for candidates that are explained
    # or compared by subject, a few per message.
    gains: Callable[[], tuple[tuple[str, float], ...]] = field(
        default=tuple, repr=False, compare=False
    )

    @cached_property
    def matched(self) -> tuple[tuple[str, float], ...]:
        """What each feature of the message gave this entry, the largest first."""
        return self.gains()


@dataclass(frozen=True)
class Match:
    """The decision for one message, with what is needed to explain it."""

    entry: Entry | None
    score: int
    language: str  # the language to answer in
    detected: str  # the language the message was written in
    country: str | None  # the country whose entries were searched
    candidates: tuple[Candidate, ...] = ()
    mention: Mention | None = None
    analysis: Analysis | None = None
    reason: Reason = Reason.NOTHING
    notes: tuple[str, ...] = field(default_factory=tuple)
    outside: tuple[str, ...] = ()  # needs asked for that no entry covers (out-of-scope concepts)

    @property
    def alternatives(self) -> tuple[Entry, ...]:
        """Up to three other entries worth suggesting."""
        best = self.entry.id if self.entry else None
        return tuple(c.entry for c in self.candidates if c.entry.id != best)[:3]


class Matcher:
    """Holds the index of one knowledge base; `match` is safe to call from anywhere."""

    def __init__(self, base: KnowledgeBase, locales: Locales) -> None:
        self.base = base
        self.locales = locales
        self.index = Index(base, locales)
        self.places = PlaceFinder(base.countries, locales)
        self._numbers = {entry.id: n for n, entry in enumerate(self.index.entries)}
        self._greetings: set[tuple[str, ...]] = set()
        self._thanks: set[tuple[str, ...]] = set()
        for language in locales.languages.values():
            self._greetings.update(language.greetings)
            self._thanks.update(language.thanks)

    def match(self, text: str, country: str | None = None, lang: str | None = None) -> Match:
        """Find the entry that answers `text` for a user in `country` speaking `lang`."""
        prior = [lang] if lang else []
        home = self.base.countries.get(country or "")
        if home is not None:
            prior.extend(home.languages)
        analysis = self.index.analyzer.analyse(text[:2000], prior)
        detected = lang or analysis.language.language
        mention = self.places.destination(analysis.words, country)
        if mention is None and analysis.corrections:
            # "trinida" corrected to "trinidad" names the country as well as the right spelling.
            fixed = dict(analysis.corrections)
            corrected = [fixed.get(w, w) for w in analysis.words]
            mention = self.places.destination(corrected, country)
        scope_country = mention.country if mention else country
        social = self._social(analysis.words)
        if social:
            return Match(None, 0, detected, detected, scope_country, (), mention, analysis, social)
        candidates = self._score(analysis, scope_country)
        if mention is not None and country is not None and mention.role == "bare":
            # "perdí mi DPI cuando me agarraron en México": a country only named, by someone
            # whose country is known, moves the question there only if its entries answer
            # better than home's.
            at_home = self._score(analysis, country)
            if at_home and (not candidates or at_home[0].weight >= candidates[0].weight):
                candidates, scope_country, mention = at_home, country, None
        outside = self._outside_need(analysis)
        bar = OUT_OF_SCOPE_OVERRIDE if outside else ANSWER_AT
        best = candidates[0] if candidates and candidates[0].score >= bar else None
        shown = tuple(c for c in candidates if c.score >= SUGGEST_AT)[:4]
        if best is None:
            reason = Reason.NOTHING if not shown else Reason.NOT_SURE
            if outside:
                reason = Reason.OUTSIDE
            return Match(
                None,
                shown[0].score if shown else 0,
                detected,
                detected,
                scope_country,
                shown,
                mention,
                analysis,
                reason,
                outside=outside,
            )
        answer_lang, notes = self.answer_language(best.entry, detected)
        return Match(
            best.entry,
            best.score,
            answer_lang,
            detected,
            scope_country,
            shown,
            mention,
            analysis,
            Reason.MATCHED,
            notes,
            outside,
        )

    def _outside_need(self, analysis: Analysis) -> tuple[str, ...]:
        """The out-of-scope needs the message asks for (in its asking sentence, if one)."""
        outside = self.locales.out_of_scope
        need = analysis.need
        return tuple(
            dict.fromkeys(
                f.key[2:]
                for f in analysis.features
                if f.key[2:] in outside and (not need or f.sentence in need)
            )
        )

    def answer_language(self, entry: Entry, wanted: str) -> tuple[str, tuple[str, ...]]:
        """The language to show `entry` in for a reader of `wanted`, along the fallback chain."""
        for lang in self.locales.chain(wanted):
            if lang in entry.answer:
                note = () if lang == wanted else (f"no {wanted} text; answered in {lang}",)
                return lang, note
        first = next(iter(entry.answer))
        return first, (f"no {wanted} text; answered in {first}",)

    def _social(self, words: list[str]) -> Reason | None:
        """GREETING or THANKS when the message is only that, else None."""
        if not words or len(words) > 6:
            return None
        found: Reason | None = None
        i = 0
        while i < len(words):
            for span in range(min(4, len(words) - i), 0, -1):
                phrase = tuple(words[i : i + span])
                if phrase in self._thanks or phrase in self._greetings:
                    thanks = phrase in self._thanks or found is Reason.THANKS
                    found = Reason.THANKS if thanks else Reason.GREETING
                    i += span
                    break
            else:
                return None
        return found

    def _score(self, analysis: Analysis, country: str | None) -> list[Candidate]:
        index = self.index
        need = analysis.need

        def share(sentence: int) -> float:
            # The sentence that asks leads; the story around it adds the country and topic.
            return CONTEXT_SHARE if need and sentence not in need else 1.0

        query: dict[str, Feature] = {}
        for feature in analysis.features:
            if need and feature.sentence not in need:
                feature = feature._replace(weight=feature.weight * CONTEXT_SHARE)
            kept = query.get(feature.key)
            if kept is None or feature.weight > kept.weight:
                query[feature.key] = feature
        scopes = index.scopes(country)
        mass: dict[int, float] = defaultdict(float)
        for key, feature in query.items():
            weight = index.idf.get(key, index.idf_unseen) * feature.weight
            if key.startswith("t:") and not any(key in index.postings.get(s, {}) for s in scopes):
                # A word no entry here contains (English words against a Spanish-only
                # country's entries) cannot tell these entries apart: weigh it less. Concepts
                # keep their weight: a need nobody here answers must still count.
                weight *= FOREIGN_SHARE
            mass[feature.sentence] += weight
        for _, sentence in analysis.unknown:
            mass[sentence] += index.idf_unseen * UNKNOWN_SHARE * share(sentence)
        for _, sentence, rarity in analysis.unexplained:
            unexplained = index.idf_unseen * TERM_WEIGHT * UNEXPLAINED_SHARE * rarity
            mass[sentence] += unexplained * share(sentence)
        total_mass = sum(mass.values())
        if total_mass <= 0:
            return []
        totals: dict[int, float] = defaultdict(float)
        by_sentence: dict[tuple[int, int], float] = defaultdict(float)
        several = analysis.sentences > 1
        for scope in scopes:
            factor = _region_factor(scope == REGION, country)
            table = index.postings.get(scope, {})
            for key, feature in query.items():
                postings = table.get(key)
                if not postings:
                    continue
                base = index.idf.get(key, index.idf_unseen) * feature.weight * factor
                for number, weight in postings:
                    gain = base * weight
                    totals[number] += gain
                    if several:
                        by_sentence[number, feature.sentence] += gain
        # Only the leaders are ever answered, suggested or explained: build those alone.
        leaders = heapq.nlargest(KEEP, totals.items(), key=itemgetter(1))
        candidates = []
        for number, weight in leaders:
            coverage = weight / total_mass
            if several:
                # In a long story the need is often one sentence: judge that sentence alone too,
                # but only a sentence that asks, when one does ("not a robot" asks nothing).
                best_sentence = max(
                    (
                        by_sentence.get((number, s), 0.0) / m
                        for s, m in mass.items()
                        if m > 0 and (not need or s in need)
                    ),
                    default=0.0,
                )
                coverage = max(coverage, SENTENCE_SHARE * best_sentence)
            score = round(min(1.0, coverage / FULL_COVERAGE) * 100)
            entry = index.entries[number]
            gains = partial(self._matched, number, entry, query, country)
            candidates.append(Candidate(entry, score, weight, gains))
        candidates.sort(key=lambda c: (-c.weight, c.entry.id))
        return self._prefer_local(self._rerank(candidates, query), country)

    def _matched(
        self, number: int, entry: Entry, query: dict[str, Feature], country: str | None
    ) -> tuple[tuple[str, float], ...]:
        """What each feature of the message gave `entry`, the largest first."""
        index = self.index
        factor = _region_factor(entry.country is None, country)
        features = index.features[number]
        gains = []
        for key, feature in query.items():
            weight = features.get(key)
            if weight is None:
                continue
            base = index.idf.get(key, index.idf_unseen) * feature.weight * factor
            gains.append((key, round(base * weight, 2)))
        return tuple(sorted(gains, key=lambda g: -g[1]))

    @staticmethod
    def _prefer_local(candidates: list[Candidate], country: str | None) -> list[Candidate]:
        """Let the country's own entry on the leader's subject answer instead of the region's.

        A region entry stands in where a country has nothing; written in more languages, it
        can outscore the country's entry on the very same need (a French message, a Spanish
        country), yet the country's entry names the local hotline or office.
        """
        if country is None or len(candidates) < 2 or candidates[0].entry.country is not None:
            return candidates
        leader = candidates[0]
        concepts = [key for key, _ in leader.matched if key.startswith("c:")]
        if not concepts:
            return candidates
        # The leader's main subject: a local entry must speak of it too.
        subject = set(concepts[:1])
        for n, candidate in enumerate(candidates[1:RERANK], start=1):
            entry = candidate.entry
            if (
                entry.country == country
                and entry.topic == leader.entry.topic
                and candidate.score >= ANSWER_AT
                and candidate.weight >= LOCAL_SHARE * leader.weight
                and subject <= {key for key, _ in candidate.matched}
            ):
                return [candidate, *candidates[:n], *candidates[n + 1 :]]
        return candidates

    def _rerank(self, candidates: list[Candidate], query: dict[str, Feature]) -> list[Candidate]:
        """Among the leaders, favour the entry with an example question most like the message.

        Near neighbours share most words; the example questions an editor wrote for each say
        which combination belongs where.
        """
        index = self.index
        head = candidates[:RERANK]
        if len(head) < 2:
            return candidates
        weights = {k: index.idf.get(k, index.idf_unseen) * f.weight for k, f in query.items()}
        norm = sum(w * w for w in weights.values()) ** 0.5 or 1.0
        boosted = []
        for candidate in head:
            number = self._numbers[candidate.entry.id]
            holders = index.asked_by_key[number]
            shared: dict[int, float] = defaultdict(float)
            for key, weight in weights.items():
                for question in holders.get(key, ()):
                    shared[question] += weight
            sizes = index.asked_sizes[number]
            best = max((w / (norm * sizes[q]) for q, w in shared.items()), default=0.0)
            boosted.append(candidate.weight * (1 + QUESTION_BONUS * best))
        order = sorted(range(len(head)), key=lambda n: -boosted[n])
        return [head[n] for n in order] + candidates[RERANK:]


def _region_factor(region: bool, country: str | None) -> float:
    """What a region entry's gains count for a user in `country` (a country's own count fully)."""
    return REGION_FACTOR if region and country is not None else 1.0
