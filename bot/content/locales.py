"""Per-language data from `locales/`: interface strings (.po), matching data and the lexicon."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

from bot.content.wordlists import load_wordlists
from bot.content.yamlsource import Problem, YamlError, line_of, load_yaml
from bot.normalise import tokens

SOURCE_LANGUAGE = "en"  # interface strings are written in English: the msgids are the text
COMMANDS = ("help", "menu", "language", "country", "forget", "more", "alerts", "noalerts")
Phrase = tuple[str, ...]


@dataclass(frozen=True)
class Language:
    """What Puente knows of one language for matching and conversation, already normalised."""

    code: str
    name: str
    fallback: tuple[str, ...] = ()
    stopwords: frozenset[str] = frozenset()
    shorthand: Mapping[str, Phrase] = field(default_factory=dict)
    destination_cues: frozenset[Phrase] = frozenset()
    origin_cues: frozenset[Phrase] = frozenset()
    presence_cues: frozenset[Phrase] = frozenset()  # "I am in", "acabo de llegar a": stays
    greetings: frozenset[Phrase] = frozenset()
    thanks: frozenset[Phrase] = frozenset()
    commands: Mapping[str, frozenset[Phrase]] = field(default_factory=dict)
    emergency: frozenset[Phrase] = frozenset()
    emergency_alone: frozenset[Phrase] = frozenset()  # only when (nearly) the whole message
    need_cues: frozenset[Phrase] = frozenset()  # "where can I", "necesito": the need's sentence


@dataclass(frozen=True)
class Locales:
    """All languages, the concept lexicon and the interface catalogs."""

    languages: Mapping[str, Language]
    concepts: Mapping[str, Mapping[str, tuple[str, ...]]]
    catalogs: Mapping[str, Catalog]
    version: str
    out_of_scope: frozenset[str] = frozenset()  # concepts only looked for in messages
    # Valid words per language, with ten times their Zipf frequency (see wordlists.py).
    words: Mapping[str, Mapping[str, int]] = field(default_factory=dict)

    def chain(self, lang: str) -> tuple[str, ...]:
        """`lang` followed by its fallback languages, each once."""
        order = [lang, *(self.languages[lang].fallback if lang in self.languages else ()), "en"]
        return tuple(dict.fromkeys(order))

    def text(self, lang: str, message: str) -> str:
        """The interface string `message` (an English msgid) in `lang`, or its best fallback."""
        for code in self.chain(lang):
            if code == SOURCE_LANGUAGE:
                return message
            catalog = self.catalogs.get(code)
            found = catalog.get(message) if catalog is not None else None
            if found is not None and isinstance(found.string, str) and found.string:
                return found.string
        return message


def _phrase(text: Any) -> Phrase:
    return tuple(tokens(str(text)))


def _phrases(value: Any) -> frozenset[Phrase]:
    items = value if isinstance(value, list) else []
    return frozenset(p for p in (_phrase(i) for i in items) if p)


def load_locales(root: Path) -> tuple[Locales, list[Problem]]:
    """Read every locale file under `root`; problems are reported, never raised."""
    problems: list[Problem] = []
    digest = hashlib.sha256()
    languages: dict[str, Language] = {}
    for path in sorted(root.glob("*.yaml")):
        digest.update(path.read_bytes())
        language = _language(path, problems)
        if language is not None:
            languages[language.code] = language
    concepts: dict[str, dict[str, list[str]]] = {}
    out_of_scope: set[str] = set()
    for path in sorted((root / "concepts").glob("*.yaml")):
        digest.update(path.read_bytes())
        found = _concepts(path, concepts, problems)
        if path.name.startswith("out_of_scope"):
            out_of_scope.update(found)
    catalogs: dict[str, Catalog] = {}
    for path in sorted(root.glob("*.po")):
        digest.update(path.read_bytes())
        try:
            with path.open("rb") as handle:
                catalogs[path.stem] = read_po(handle, locale=None, abort_invalid=True)
        except (PoFileError, ValueError, OSError) as exc:
            problems.append(Problem(str(path), 1, f"cannot read this .po file: {exc}"))
    frozen = {
        c: {lang: tuple(words) for lang, words in by_lang.items()}
        for c, by_lang in concepts.items()
    }
    words = load_wordlists(root / "words")
    for path in sorted((root / "words").glob("*.txt")):
        digest.update(path.read_bytes())
    locales = Locales(
        languages, frozen, catalogs, digest.hexdigest()[:12], frozenset(out_of_scope), words
    )
    return locales, problems


def _language(path: Path, problems: list[Problem]) -> Language | None:
    try:
        data = load_yaml(path)
    except YamlError as exc:
        problems.append(exc.problem)
        return None
    if not isinstance(data, dict) or data.get("language") != path.stem:
        problems.append(Problem(str(path), line_of(data), f"expected 'language: {path.stem}'"))
        return None
    shorthand = {}
    table = data.get("shorthand") or {}
    for key, value in table.items() if isinstance(table, dict) else []:
        key_tokens, value_tokens = _phrase(key), _phrase(value)
        if len(key_tokens) != 1 or not value_tokens:
            problems.append(
                Problem(
                    str(path),
                    line_of(table, key),
                    f"shorthand '{key}' must be one word mapped to words",
                    "warning",
                )
            )
            continue
        shorthand[key_tokens[0]] = value_tokens
    raw_commands = data.get("commands") or {}
    commands = {name: _phrases(raw_commands.get(name)) for name in COMMANDS}
    for name in raw_commands:
        if name not in COMMANDS:
            problems.append(
                Problem(
                    str(path), line_of(raw_commands, name), f"unknown command '{name}'", "warning"
                )
            )
    stopwords = frozenset(w for p in _phrases(data.get("stopwords")) for w in p)
    alone = _phrases(data.get("emergency_alone"))
    return Language(
        code=path.stem,
        name=str(data.get("name") or path.stem),
        fallback=tuple(str(x) for x in data.get("fallback") or ()),
        stopwords=stopwords,
        shorthand=shorthand,
        destination_cues=_phrases(data.get("destination_cues")),
        origin_cues=_phrases(data.get("origin_cues")),
        presence_cues=_phrases(data.get("presence_cues")),
        greetings=_phrases(data.get("greetings")),
        thanks=_phrases(data.get("thanks")),
        commands=commands,
        emergency=_phrases(data.get("emergency")) - alone,
        emergency_alone=alone,
        need_cues=_phrases(data.get("need_cues")),
    )


def _concepts(
    path: Path, into: dict[str, dict[str, list[str]]], problems: list[Problem]
) -> set[str]:
    """Merge a concept file into `into`; return the concept ids it defines."""
    try:
        data = load_yaml(path)
    except YamlError as exc:
        problems.append(exc.problem)
        return set()
    if not isinstance(data, dict):
        problems.append(Problem(str(path), 1, "expected concept: {lang: [words]} mappings"))
        return set()
    for concept, by_lang in data.items():
        if not isinstance(by_lang, dict):
            problems.append(
                Problem(
                    str(path),
                    line_of(data, concept),
                    f"concept '{concept}' must map languages to word lists",
                )
            )
            continue
        slot = into.setdefault(str(concept), {})
        for lang, words in by_lang.items():
            if not isinstance(words, list):
                problems.append(
                    Problem(str(path), line_of(by_lang, lang), f"'{concept}.{lang}' must be a list")
                )
                continue
            slot.setdefault(str(lang), []).extend(str(w) for w in words if w is not None)
    return {str(concept) for concept in data}
