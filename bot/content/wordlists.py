"""Per-language lists of valid words, so the matcher tells a real word it lacks from a typo.

`locales/words/<lang>.txt` holds one folded word per line with its Zipf frequency (the log10 of
its count per billion words), most frequent first. They are built by `puente build-wordlists`
from wordfreq (CC BY-SA 4.0 data), which covers en, es, fr, pt and nl; Haitian Creole and
Papiamentu have no such list, and their words come from the base and the lexicon instead.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from bot.normalise import tokens

WORDLIST_LANGUAGES = ("en", "es", "fr", "pt", "nl")
WORDS_PER_LANGUAGE = 25_000  # down to Zipf ~3: "pleuvoir", "plumber"; rarer words are mostly names


def load_wordlists(folder: Path) -> dict[str, dict[str, int]]:
    """Each language's valid words with ten times their Zipf frequency; none without a folder.

    Tenths as small ints and one string per word across languages keep the five lists at a
    few megabytes, not the 18 of floats and copies.
    """
    lists: dict[str, dict[str, int]] = {}
    for path in sorted(folder.glob("*.txt")) if folder.is_dir() else ():
        words: dict[str, int] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            word, _, zipf = line.partition(" ")
            if word and zipf:
                words.setdefault(sys.intern(word), round(float(zipf) * 10))
        lists[path.stem] = words
    return lists


def build_wordlists(folder: Path, size: int = WORDS_PER_LANGUAGE) -> Mapping[str, int]:
    """Write `folder/<lang>.txt` from wordfreq (installed with `pip install wordfreq`)."""
    import wordfreq  # a build-time tool only; the service reads the files it wrote

    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for lang in WORDLIST_LANGUAGES:
        best: dict[str, float] = {}
        for raw in wordfreq.top_n_list(lang, size * 2):
            for word in tokens(raw):
                if word.isalpha() and len(word) > 1:
                    zipf = wordfreq.zipf_frequency(raw, lang)
                    best[word] = max(best.get(word, 0.0), zipf)
            if len(best) >= size:
                break
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        lines = [f"{word} {zipf:.1f}" for word, zipf in ranked]
        (folder / f"{lang}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        written[lang] = len(lines)
    return written
