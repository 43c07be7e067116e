"""Turn text into matching features: shared concepts (language-free) and stemmed terms.

Steps, in order: tokenise and fold; expand SMS shorthand; correct typos against known words;
find lexicon phrases, longest first, and replace them by their concept; keep the remaining
content words as stemmed terms. Entries and messages go through the same steps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from bot.content.locales import Locales
from bot.matching.language import Detection, LanguageDetector
from bot.matching.spelling import Speller
from bot.normalise import split_sentences, stem, tokens

CONCEPT_WEIGHT = 1.0
TERM_WEIGHT = 0.7
CORRECTED_WEIGHT = 0.8  # a guessed word counts a little less than one typed right
# A real word of the message's language that no entry uses is part of the need the answer must
# explain; how much it says grows with its rarity (Zipf frequency, wordfreq's scale).
ZIPF_COMMON = 6.0  # as frequent as "what" or "with": says nothing about the need
ZIPF_SPAN = 3.0  # from ZIPF_COMMON down to Zipf 3 ("pleuvoir", "plumber") rarity reaches 1
NEED_FEATURES = 2  # an asking sentence with less than this says how, not what: it does not lead
# ...unless one of them is a concept that says what ("a new passport"); these say only how.
HOW_CONCEPTS = frozenset({"emergency_number", "phone_number", "report"})
STEMMED_LANGUAGES = 2  # beyond the two likeliest languages a one-word phrase must match as written
VALID_LANGUAGES = 3  # a word valid in one of the message's likeliest languages is never "corrected"
WORD_CACHE = 50_000  # words whose stems are remembered per knowledge version; emptied when full


class Feature(NamedTuple):
    """One unit of meaning found in a text: 'c:<concept>' or 't:<stem>'."""

    key: str
    weight: float
    source: str  # the words that produced it, for --explain
    sentence: int = 0


class _Word(NamedTuple):
    """What the phrase tables need of one folded word, looked up once per knowledge version."""

    stems: dict[str, str]  # its stem in each language that has phrases
    starts: frozenset[str]  # the languages in which a lexicon phrase starts with it


@dataclass
class Analysis:
    """What was understood of one text."""

    language: Detection
    words: list[str]
    features: list[Feature] = field(default_factory=list)
    unknown: list[tuple[str, int]] = field(default_factory=list)  # neither known nor a real word
    # Real words of the message's languages that no entry knows, with their rarity (0..1).
    unexplained: list[tuple[str, int, float]] = field(default_factory=list)
    corrections: list[tuple[str, str]] = field(default_factory=list)
    sentences: int = 1
    # In a story of several sentences, those that ask (a question, "I need", "where can I"):
    # empty when every sentence or none does, so nothing is singled out.
    need: frozenset[int] = frozenset()
    need_text: str = ""


class Analyzer:
    """Built once per knowledge base and locales; analyses any text in microseconds."""

    def __init__(self, locales: Locales) -> None:
        self.locales = locales
        self.languages = tuple(locales.languages)
        self._phrases: dict[str, dict[tuple[str, ...], tuple[str, ...]]] = {}
        self._written: dict[str, set[str]] = {}  # one-word phrases as written, per language
        self.max_phrase = 1
        vocabularies: dict[str, set[str]] = {lang: set() for lang in self.languages}
        for concept, by_lang in locales.concepts.items():
            for lang, phrases in by_lang.items():
                table = self._phrases.setdefault(lang, {})
                for phrase in phrases:
                    # Written as people write ("mari m"), matched as messages are read
                    # ("mari mwen"): expand the same shorthand on both sides.
                    words = self._expand(tokens(phrase), (lang,))
                    if not words:
                        continue
                    key = tuple(stem(w, lang) for w in words)
                    if len(words) == 1:
                        self._written.setdefault(lang, set()).add(words[0])
                    table[key] = tuple(dict.fromkeys((*table.get(key, ()), concept)))
                    self.max_phrase = max(self.max_phrase, len(key))
                    vocabularies.setdefault(lang, set()).update(words)
        self._first = {lang: {key[0] for key in table} for lang, table in self._phrases.items()}
        self._phrase_prefixes = {lang: _prefixes(table) for lang, table in self._phrases.items()}
        function_words: dict[str, set[str]] = {}
        for code, language in locales.languages.items():
            function_words[code] = set(language.stopwords) | set(language.shorthand)
            for group in (
                language.greetings,
                language.thanks,
                language.emergency,
                *language.commands.values(),
            ):
                vocabularies[code].update(w for phrase in group for w in phrase)
        self.detector = LanguageDetector(vocabularies, function_words)
        self._function_words = function_words
        self._vocabularies = vocabularies
        # Typos are corrected towards the message's own language first.
        self._language_words = {
            code: frozenset(vocabularies.get(code, set()) | function_words.get(code, set()))
            for code in self.languages
        }
        self._stopwords = {code: lang.stopwords for code, lang in locales.languages.items()}
        self._words: dict[str, _Word] = {}
        self._valid = locales.words
        self._cue_tables: dict[
            tuple[str, ...], tuple[frozenset[tuple[str, ...]], set[tuple[str, ...]]]
        ] = {}
        self.speller = Speller(())
        self.know_places(set())

    def learn(self, corpus_words: Mapping[str, int]) -> None:
        """Know the words of the knowledge base, for typo correction and unknown words."""
        known = set(corpus_words)
        for vocabulary in (*self._vocabularies.values(), *self._function_words.values()):
            known.update(vocabulary)
        for language in self.locales.languages.values():
            for expansion in language.shorthand.values():
                known.update(expansion)
        self.speller = Speller(known, corpus_words)

    def stopword(self, word: str, lang: str) -> bool:
        """Whether `word` carries no meaning in `lang`."""
        language = self.locales.languages.get(lang)
        return language is not None and word in language.stopwords

    def analyse(self, text: str, prior: Sequence[str] = (), default: str = "en") -> Analysis:
        """Analyse a user's message: detect its language, correct it, extract features."""
        sentences = split_sentences(text) or [text]
        per_sentence = [tokens(s) for s in sentences]
        words = [w for ws in per_sentence for w in ws]
        detection = self.detector.detect(text, words, prior, default)
        order = tuple(dict.fromkeys((*detection.ranking[:2], *prior, *detection.ranking)))
        analysis = Analysis(detection, words, sentences=len(sentences))
        if len(sentences) > 1:
            self._find_need(sentences, per_sentence, order, analysis)
        for index, sentence_words in enumerate(per_sentence):
            expanded, corrected = self._prepare(sentence_words, order, analysis)
            self._extract(expanded, corrected, order, index, analysis)
        if analysis.need:
            said = [f for f in analysis.features if f.sentence in analysis.need]
            what = any(f.key.startswith("c:") and f.key[2:] not in HOW_CONCEPTS for f in said)
            if len(said) < NEED_FEATURES and not what:
                # "Who do I call??" after a story: the story says what about; it leads then.
                analysis.need, analysis.need_text = frozenset(), ""
        return analysis

    def keys_known(self, text: str, lang: str, seen: Counter[str]) -> frozenset[str]:
        """The feature keys of a text whose language is known (knowledge entries).

        No detection and no typo guessing; the words read are counted into `seen`. This is
        the index's hot loop at load time, so it builds no Feature objects.
        """
        words = tokens(text)
        seen.update(words)
        words = self._expand(words, (lang,))
        table = self._phrases.get(lang, {})
        prefixes = self._phrase_prefixes.get(lang, frozenset())
        stop = self._stopwords.get(lang, frozenset())
        out_of_scope = self.locales.out_of_scope
        place_firsts = self._place_firsts
        row = [stem(w, lang) for w in words]
        keys: set[str] = set()
        i, size = 0, len(words)
        while i < size:
            word = words[i]
            if word in place_firsts:
                place = self._place_at(words, i)
                if place:
                    i += place
                    continue
            if (row[i],) in prefixes:
                # The longest phrase starting here, walking only along starts of phrases.
                span, found = 0, tuple[str, ...]()
                for length in _spans(row, i, prefixes, table.keys()):
                    span, found = length, table[tuple(row[i : i + length])]
                if found and not (span == 1 and word in stop):
                    # Entries never "contain" an out-of-scope subject: those concepts only
                    # speak for messages ("la capital de" in an answer is no trivia question).
                    keys.update("c:" + c for c in found if c not in out_of_scope)
                    i += span
                    continue
            i += 1
            if word not in stop and len(word) > 1:
                keys.add("t:" + row[i - 1])
        return frozenset(keys)

    def _expand(self, words: list[str], order: Sequence[str]) -> list[str]:
        result: list[str] = []
        languages = self.locales.languages
        for word in words:
            replaced = None
            for lang in order:
                language = languages.get(lang)
                if language is not None and word in language.shorthand:
                    replaced = language.shorthand[word]
                    break
            result.extend(replaced or (word,))
        return result

    def _prepare(
        self, words: list[str], order: Sequence[str], analysis: Analysis
    ) -> tuple[list[str], set[int]]:
        fixed: list[str] = []
        corrected: set[int] = set()
        speller = self.speller
        valid = [self._valid[code] for code in order[:VALID_LANGUAGES] if code in self._valid]
        for word in self._expand(words, order[:2]):
            if word in speller or not word.isalpha() or any(word in v for v in valid):
                # "file" in an English message is not a typo of the French "fille".
                fixed.append(word)
                continue
            guess = speller.correct(word, self._language_words.get(order[0], frozenset()))
            if guess is None:
                fixed.append(word)
                continue
            analysis.corrections.append((word, guess))
            corrected.add(len(fixed))
            fixed.append(guess)
        return fixed, corrected

    def _find_need(
        self,
        sentences: list[str],
        per_sentence: list[list[str]],
        order: Sequence[str],
        analysis: Analysis,
    ) -> None:
        prefixes, cues = self._need_cues(tuple(order[:2]))
        need = []
        for number, (raw, words) in enumerate(zip(sentences, per_sentence, strict=True)):
            if "?" in raw or any(
                _spans(words, i, prefixes, cues) for i, w in enumerate(words) if (w,) in prefixes
            ):
                need.append(number)
        if need and len(need) < len(sentences):
            analysis.need = frozenset(need)
            analysis.need_text = " ".join(sentences[n] for n in need)

    def _need_cues(
        self, languages: tuple[str, ...]
    ) -> tuple[frozenset[tuple[str, ...]], set[tuple[str, ...]]]:
        """Every start of these languages' need cues (see _spans), and the cues."""
        found = self._cue_tables.get(languages)
        if found is None:
            cues: set[tuple[str, ...]] = set()
            for code in languages:
                language = self.locales.languages.get(code)
                if language is not None:
                    cues.update(language.need_cues)
            found = self._cue_tables[languages] = (_prefixes(cues), cues)
        return found

    def _rarity(self, word: str, order: Sequence[str]) -> float | None:
        """How much a real word says (0..1), or None when no likely language has it."""
        tenths = max(
            (self._valid[c].get(word, 0) for c in order[:VALID_LANGUAGES] if c in self._valid),
            default=0,
        )
        if not tenths:
            return None
        zipf = tenths / 10
        return min(1.0, max(0.0, (ZIPF_COMMON - zipf) / ZIPF_SPAN))

    def _word(self, word: str) -> _Word:
        info = self._words.get(word)
        if info is None:
            if len(self._words) >= WORD_CACHE:
                self._words.clear()
            stems = {code: stem(word, code) for code in self._phrases}
            starts = frozenset(code for code, s in stems.items() if s in self._first[code])
            info = self._words[word] = _Word(stems, starts)
        return info

    def _extract(
        self,
        words: list[str],
        corrected: set[int],
        order: Sequence[str],
        sentence: int,
        analysis: Analysis,
    ) -> None:
        lang = order[0]
        stop = self._stopwords.get(lang, frozenset())
        other = self._stopwords.get(order[1], frozenset()) if len(order) > 1 else frozenset()
        infos = [self._word(w) for w in words]
        place_firsts = self._place_firsts
        known = self.speller.words
        features = analysis.features
        i = 0
        while i < len(words):
            word = words[i]
            if word in place_firsts:
                place = self._place_at(words, i)
                if place:
                    i += place  # where someone is or goes is the scope's business, not a topic
                    continue
            info = infos[i]
            if info.starts:
                span, concepts = self._phrase_at(infos, words, i, order)
                if concepts:
                    guessed = corrected and not corrected.isdisjoint(range(i, i + span))
                    weight = CONCEPT_WEIGHT * (CORRECTED_WEIGHT if guessed else 1.0)
                    source = " ".join(words[i : i + span])
                    features.extend(Feature("c:" + c, weight, source, sentence) for c in concepts)
                    i += span
                    continue
            i += 1
            if word in stop or word in other or len(word) < 2:
                continue
            if word not in known:
                rarity = self._rarity(word, order)
                if rarity is None:
                    analysis.unknown.append((word, sentence))
                else:
                    analysis.unexplained.append((word, sentence, rarity))
                continue
            weight = TERM_WEIGHT * (CORRECTED_WEIGHT if (i - 1) in corrected else 1.0)
            term = info.stems[lang] if lang in info.stems else stem(word, lang)
            features.append(Feature("t:" + term, weight, word, sentence))

    def know_places(self, names: set[tuple[str, ...]]) -> None:
        """Country names, and the cues before them, to leave out of a text's features."""
        self._places = names
        cues: set[tuple[str, ...]] = set()
        for language in self.locales.languages.values():
            cues.update(language.destination_cues, language.origin_cues)
        self._cues = cues
        self._place_prefixes = _prefixes(names)
        self._cue_prefixes = _prefixes(cues)
        self._place_firsts = {p[0] for p in names} | {c[0] for c in cues}

    def _place_at(self, words: list[str], start: int) -> int:
        """How many words from `start` are a country name, or a cue followed by one."""
        if words[start] not in self._place_firsts:
            return 0
        place = _spans(words, start, self._place_prefixes, self._places)
        if place:
            return place[-1]
        for span in reversed(_spans(words, start, self._cue_prefixes, self._cues)):
            after = _spans(words, start + span, self._place_prefixes, self._places)
            if after:
                return span + after[-1]
        return 0

    def _phrase_at(
        self, infos: list[_Word], words: list[str], start: int, order: Sequence[str]
    ) -> tuple[int, tuple[str, ...]]:
        best: tuple[int, tuple[str, ...]] = (1, ())
        starts = infos[start].starts
        for rank, lang in enumerate(order):
            if lang not in starts:
                continue
            table, prefixes = self._phrases[lang], self._phrase_prefixes[lang]
            row: tuple[str, ...] = ()
            found_here: tuple[int, tuple[str, ...]] = (0, ())
            for info in infos[start : start + self.max_phrase]:
                row = (*row, info.stems[lang])
                if row not in prefixes:
                    break
                found = table.get(row)
                if found:
                    found_here = (len(row), found)
            span, found = found_here
            if not found or span < best[0] or (span == best[0] and best[1]):
                continue
            if span == 1 and rank >= STEMMED_LANGUAGES and words[start] not in self._written[lang]:
                # A stem shared by chance across languages ("fera", French "will do", and
                # Portuguese "ferido", hurt) is no meaning: only a word as listed counts.
                continue
            if span == 1 and self.stopword(words[start], order[0]):
                continue
            best = (span, found)
        return best


def _prefixes(phrases: Iterable[tuple[str, ...]]) -> frozenset[tuple[str, ...]]:
    """Every phrase and every start of one, so a walk along a text stops at the first dead end."""
    return frozenset(phrase[:n] for phrase in phrases for n in range(1, len(phrase) + 1))


def _spans(
    words: list[str],
    start: int,
    prefixes: frozenset[tuple[str, ...]],
    phrases: Collection[tuple[str, ...]],
) -> list[int]:
    """The lengths of the phrases that start at `start`, shortest first."""
    spans = []
    row: tuple[str, ...] = ()
    for word in words[start:]:
        row = (*row, word)
        if row not in prefixes:
            break
        if row in phrases:
            spans.append(len(row))
    return spans
