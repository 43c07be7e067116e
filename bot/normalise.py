"""Text preparation shared by the knowledge index and incoming messages.

Both sides must go through exactly the same steps, or a word written in an entry would never
meet the same word typed by a user.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

# Haitian Creole barely inflects and has no Snowball stemmer: its words are used as written.
_STEMMER_NAMES = {
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "pt": "portuguese",
    "nl": "dutch",
}
_STEMMERS = {lang: Stemmer.Stemmer(name) for lang, name in _STEMMER_NAMES.items()}

# Apostrophes split words ("j'ai" -> "j ai", "m'ap" -> "m ap") before punctuation goes.
_SPLIT = re.compile(r"[^a-z0-9&]+")
_DIGIT_RUN = re.compile(r"\d")


def _strip(char: str) -> str:
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Latin letters with accents, folded once; str.translate then does a whole text in C.
_LATIN = {code: _strip(chr(code)) for code in range(0xC0, 0x250) if _strip(chr(code)) != chr(code)}


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower-case and strip accents: 'Educación' -> 'educacion', 'lekòl' -> 'lekol'."""
    lowered = text.casefold().translate(_LATIN)
    if lowered.isascii():
        return lowered
    return "".join(_strip(ch) if ord(ch) > 127 else ch for ch in lowered)


def tokens(text: str) -> list[str]:
    """Split folded text into words; '&' survives so 'T&T' stays one word."""
    return [tok for tok in _SPLIT.split(fold(text)) if tok and tok != "&"]


@lru_cache(maxsize=262144)
def stem(word: str, lang: str) -> str:
    """Reduce a folded word to its stem in `lang`; words of unstemmed languages stay as they are."""
    stemmer = _STEMMERS.get(lang.split("-")[0])
    if stemmer is None or len(word) <= 3 or _DIGIT_RUN.search(word):
        return word
    result: str = stemmer.stemWord(word)
    return result


def split_sentences(text: str) -> list[str]:
    """Split a message into sentences, for long stories where the need is one line among many."""
    parts = re.split(r"(?<=[.!?;\n])\s+|\n+", text)
    return [part for part in (p.strip() for p in parts) if part]
