"""Which language a message is written in, from the words each language's data knows.

Short, unaccented and shorthand messages give little to go on, so every word votes for the
languages that know it, rarer words weigh more, and accents that only some languages use
add their own vote. Ties go to what the conversation already suggests.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Characters that point to a language even after accents are stripped for matching.
_CHARACTER_VOTES: dict[str, dict[str, float]] = {
    "ñ": {"es": 2.0},
    "¿": {"es": 2.0},
    "¡": {"es": 2.0},
    "ã": {"pt": 2.0},
    "õ": {"pt": 2.0},
    "ç": {"pt": 1.0, "fr": 1.0},
    "ò": {"ht": 2.0},
    "è": {"ht": 1.0, "fr": 0.7},
    "ê": {"fr": 1.0, "pt": 0.7},
    "ô": {"fr": 0.8, "pt": 0.8},
    "â": {"fr": 0.8, "pt": 0.8},
    "à": {"fr": 1.0, "pt": 0.5},
    "û": {"fr": 1.0},
    "î": {"fr": 1.0},
    "ù": {"fr": 1.0},
}


@dataclass(frozen=True)
class Detection:
    """The most likely language, how sure we are (0..1) and the languages in order."""

    language: str
    confidence: float
    ranking: tuple[str, ...]


class LanguageDetector:
    """Votes by vocabulary; built once from the locales and the knowledge base."""

    def __init__(
        self, vocabularies: Mapping[str, Iterable[str]], function_words: Mapping[str, Iterable[str]]
    ) -> None:
        owners: dict[str, set[str]] = {}
        for lang, words in vocabularies.items():
            for word in words:
                owners.setdefault(word, set()).add(lang)
        strong: dict[str, set[str]] = {}
        for lang, words in function_words.items():
            for word in words:
                strong.setdefault(word, set()).add(lang)
        self._votes: dict[str, tuple[tuple[str, float], ...]] = {}
        for word in owners.keys() | strong.keys():
            langs = owners.get(word, set()) | strong.get(word, set())
            share = 1.0 / len(langs)
            self._votes[word] = tuple(
                (lang, share * (1.6 if lang in strong.get(word, ()) else 1.0)) for lang in langs
            )
        self.languages = tuple(sorted(vocabularies.keys() | function_words.keys()))

    def detect(
        self, raw: str, words: Sequence[str], prior: Sequence[str] = (), default: str = "en"
    ) -> Detection:
        """Detect the language of `raw` (tokenised as `words`); `prior` breaks ties, best first."""
        scores: dict[str, float] = dict.fromkeys(self.languages, 0.0)
        for word in words:
            for lang, vote in self._votes.get(word, ()):
                scores[lang] += vote
        if not raw.isascii():  # every voting character is outside ASCII
            for char in raw.lower():
                for lang, vote in _CHARACTER_VOTES.get(char, {}).items():
                    if lang in scores:
                        scores[lang] += vote
        evidence = sum(scores.values())
        for rank, lang in enumerate(prior):
            if lang in scores:
                scores[lang] += 0.3 / (rank + 1)
        ranking = tuple(sorted(scores, key=lambda lang: (-scores[lang], lang)))
        if evidence <= 0:
            first = next((lang for lang in prior if lang in scores), default)
            rest = tuple(lang for lang in ranking if lang != first)
            return Detection(first, 0.0, (first, *rest))
        best, second = scores[ranking[0]], scores[ranking[1]] if len(ranking) > 1 else 0.0
        confidence = min(1.0, (best - second) / max(best, 1e-9) + min(evidence, 3.0) / 6.0)
        return Detection(ranking[0], round(confidence, 3), ranking)
