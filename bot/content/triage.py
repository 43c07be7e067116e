"""Emergency triage: is someone in danger right now? Data in locales/triage, a small model on it.

Fixed phrase lists miss how people tell danger ("mi esposo me esta golpeando", "msye a ap bat
mwen"). So each language lists cue words by role (`harm`, `threat`, `medical`, `self_harm`,
`disaster`, who does it, `now`, and what takes the danger away: `past`, `negation`, a
`hypothetical`, an `info` request), and a logistic model, trained on examples written for it
(locales/triage/train, `puente train-triage`), weighs those cues, their combinations and the
words and letter groups of the message. Pure and synchronous, like matching.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from bot.content.yamlsource import Problem, YamlError, line_of, load_yaml
from bot.normalise import split_sentences, tokens

DANGER = ("harm", "threat", "medical", "self_harm", "disaster")
CONTEXT = ("who", "now", "past", "negation", "hypothetical", "info")
GROUPS = (*DANGER, *CONTEXT, "alone")
ALONE_WORDS = 4  # "help me" alone is a cry for help; "help me find a school" is a question
NEAR = 3  # a negation this many words before a danger cue cancels it ("no one is hurt")
MODEL_FILE = "model.json"
_YEAR = re.compile(r"^(19|20)\d\d$")


@dataclass(frozen=True)
class Cues:
    """One group's phrases, folded: whole-word phrases and phrases whose last word is a prefix."""

    exact: Mapping[str, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    prefix: tuple[tuple[str, ...], ...] = ()

    def positions(self, words: list[str]) -> Iterator[int]:
        """Where a phrase of this group starts in `words`."""
        for i, word in enumerate(words):
            for phrase in self.exact.get(word, ()):
                if tuple(words[i : i + len(phrase)]) == phrase:
                    yield i
                    break
            else:
                for phrase in self.prefix:
                    size = len(phrase)
                    if (
                        tuple(words[i : i + size - 1]) == phrase[:-1]
                        and i + size <= len(words)
                        and words[i + size - 1].startswith(phrase[-1])
                    ):
                        yield i
                        break


@dataclass(frozen=True)
class Triage:
    """The cue groups of every language and the weights that combine them."""

    groups: Mapping[str, Cues]
    weights: Mapping[str, float] = field(default_factory=dict)
    bias: float = 0.0
    threshold: float = 0.5

    def features(self, text: str) -> list[str]:
        """What the model sees of a message: cues, their combinations, words, letter groups."""
        words = tokens(text)
        found: dict[str, list[int]] = {g: list(self.groups[g].positions(words)) for g in GROUPS}
        found["past"] += [i for i, w in enumerate(words) if _YEAR.match(w)]  # "in 2020": over
        feats = [f"g:{g}" for g in GROUPS if found[g]]
        if found["alone"] and len(words) <= ALONE_WORDS:
            feats.append("g:alone-short")
        for danger in DANGER:
            if not found[danger]:
                continue
            feats += [f"g:{danger}&{context}" for context in CONTEXT if found[context]]
            if any(0 <= d - n <= NEAR for d in found[danger] for n in found["negation"]):
                feats.append(f"g:{danger}&negation-near")
        feats += [f"w:{w}" for w in words]
        feats += [f"b:{a}_{b}" for a, b in pairwise(words)]
        for word in words:
            padded = f"^{word}$"
            feats += [f"c:{padded[i : i + 4]}" for i in range(len(padded) - 3)]
        size = "short" if len(words) <= ALONE_WORDS else "long" if len(words) > 30 else "mid"
        feats.append(f"len:{size}")
        return feats

    def probability(self, text: str) -> float:
        """How likely the message tells of danger now, 0 to 1."""
        weights = self.weights
        total = self.bias + sum(weights.get(f, 0.0) for f in self.features(text))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, total))))

    def score(self, text: str) -> float:
        """The message's probability, or that of its most alarming sentence in a long story."""
        best = self.probability(text)
        sentences = split_sentences(text)
        if len(sentences) > 1:
            best = max(best, *(self.probability(s) for s in sentences))
        return best

    def is_emergency(self, text: str) -> bool:
        """Whether to show the emergency numbers first."""
        words = tokens(text)
        if len(words) <= ALONE_WORDS and any(True for _ in self.groups["alone"].positions(words)):
            return True  # "SOS", "anmwe", "socorro" alone are cries for help, whatever the model
        return self.score(text) >= self.threshold


def load_triage(folder: Path) -> tuple[Triage, list[Problem]]:
    """Read locales/triage: every <lang>.yaml and the trained model, problems reported."""
    problems: list[Problem] = []
    phrases: dict[str, list[str]] = {g: [] for g in GROUPS}
    for path in sorted(folder.glob("*.yaml")):
        shown = str(path)
        try:
            data = load_yaml(path, shown)
        except YamlError as exc:
            problems.append(exc.problem)
            continue
        if not isinstance(data, dict):
            problems.append(Problem(shown, line_of(data), "expected a mapping of cue groups"))
            continue
        for key, value in data.items():
            if key == "language":
                continue
            if key not in phrases:
                message = f"unknown cue group '{key}': use one of {', '.join(GROUPS)}"
                problems.append(Problem(shown, line_of(data, key), message, "warning"))
                continue
            if not isinstance(value, list):
                problems.append(Problem(shown, line_of(data, key), f"'{key}' must be a list"))
                continue
            phrases[key] += [str(v) for v in value]
    groups = {g: _cues(items) for g, items in phrases.items()}
    model = folder / MODEL_FILE
    if not model.exists():
        problems.append(Problem(str(model), 1, "no trained model: run 'puente train-triage'"))
        return Triage(groups), problems
    try:
        trained = json.loads(model.read_text(encoding="utf-8"))
        return (
            Triage(
                groups,
                {str(k): float(v) for k, v in trained["weights"].items()},
                float(trained["bias"]),
                float(trained["threshold"]),
            ),
            problems,
        )
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(
            Problem(str(model), 1, f"unreadable model ({exc}): run 'puente train-triage'")
        )
        return Triage(groups), problems


def _cues(items: Iterable[str]) -> Cues:
    exact: dict[str, list[tuple[str, ...]]] = {}
    prefix: list[tuple[str, ...]] = []
    for item in items:
        star = item.rstrip().endswith("*")
        words = tuple(tokens(item.rstrip().rstrip("*")))
        if not words:
            continue
        if star:
            prefix.append(words)
        else:
            exact.setdefault(words[0], []).append(words)
    # Longest first, so "ne respire pas" is found before "ne".
    ordered = {k: tuple(sorted(v, key=len, reverse=True)) for k, v in exact.items()}
    return Cues(ordered, tuple(sorted(prefix, key=len, reverse=True)))
