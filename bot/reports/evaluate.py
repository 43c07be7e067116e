"""`puente report eval FILE`: how the matcher does on labelled messages in a JSON Lines file.

Each line is {"text", "country", "lang", "expect": entry id or null, "tags": [...]}; `expect`
null means the message is out of scope and the right reply is an honest "not sure".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.matching import Matcher
from bot.matching.matcher import SUGGEST_AT
from bot.reports.document import Block, Document, Heading, Items, Paragraph, Table, percent

TOP = 3


@dataclass(frozen=True)
class Case:
    """One labelled message."""

    line: int
    text: str
    country: str | None
    lang: str | None
    expect: str | None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A case and the matcher's decision on it."""

    case: Case
    got: str | None
    score: int
    offered: tuple[str, ...]  # the answer, then the alternatives, as a user sees them
    top: str | None = None  # the best-scored entry, answered or not: what a threshold would pick

    @property
    def right(self) -> bool:
        """The expected entry answered, or an abstention when nothing was expected."""
        return self.got == self.case.expect

    @property
    def in_top(self) -> bool:
        """The expected entry among the first three offered (the answer or the alternatives)."""
        return self.case.expect is not None and self.case.expect in self.offered[:TOP]


def read_cases(path: Path) -> tuple[list[Case], list[str]]:
    """The cases of a JSON Lines file, and a message per line that is not one."""
    cases: list[Case] = []
    bad: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(_case(number, json.loads(line)))
        except (ValueError, TypeError) as exc:
            bad.append(f"{path}:{number}: {exc}")
    return cases, bad


def _case(number: int, item: Any) -> Case:
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise ValueError('expected an object with "text"')
    if "expect" not in item or not isinstance(item["expect"], str | None):
        raise ValueError('"expect" must be an entry id or null')
    tags = item.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError('"tags" must be a list of words')
    country, lang = item.get("country"), item.get("lang")
    return Case(
        number,
        item["text"],
        str(country) if country else None,
        str(lang) if lang else None,
        item["expect"],
        tuple(tags),
    )


def evaluate(matcher: Matcher, cases: Iterable[Case]) -> list[Outcome]:
    """Match every case."""
    found = []
    for case in cases:
        match = matcher.match(case.text, case.country, case.lang)
        got = match.entry.id if match.entry else None
        offered = (*([got] if got else []), *(entry.id for entry in match.alternatives))
        top = got or (match.candidates[0].entry.id if match.candidates else None)
        found.append(Outcome(case, got, match.score, offered, top))
    return found


@dataclass(frozen=True)
class Summary:
    """The headline numbers of an evaluation."""

    lines: int
    in_scope: int
    top1: int
    top3: int
    wrong_entry: int  # in scope, answered with another entry
    out_of_scope: int
    abstained: int  # out of scope, and rightly not answered
    false_answers: int  # out of scope, yet answered

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> Summary:
        """Count the outcomes."""
        scoped = [o for o in outcomes if o.case.expect is not None]
        outside = [o for o in outcomes if o.case.expect is None]
        return cls(
            len(outcomes),
            len(scoped),
            sum(1 for o in scoped if o.right),
            sum(1 for o in scoped if o.in_top),
            sum(1 for o in scoped if o.got is not None and not o.right),
            len(outside),
            sum(1 for o in outside if o.got is None),
            sum(1 for o in outside if o.got is not None),
        )


def per_tag(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    """(right, lines) for every tag, tags in alphabetical order."""
    found: dict[str, list[int]] = {}
    for outcome in outcomes:
        for tag in outcome.case.tags:
            counts = found.setdefault(tag, [0, 0])
            counts[0] += outcome.right
            counts[1] += 1
    return {tag: (c[0], c[1]) for tag, c in sorted(found.items())}


@dataclass(frozen=True)
class Point:
    """What a threshold on the score would give: who is answered, and how well."""

    threshold: int
    answered: int  # messages whose best entry scores at least the threshold
    right_answered: int  # of those, the ones whose best entry is the expected one
    right: int  # answered rightly, or rightly not answered (out of scope below the threshold)


def curve(outcomes: list[Outcome], step: int = 5) -> list[Point]:
    """Coverage against accuracy for thresholds from SUGGEST_AT up to 100.

    Below SUGGEST_AT the matcher keeps no candidate, so no lower threshold can be judged.
    """
    points = []
    start = -(-SUGGEST_AT // step) * step
    for threshold in range(start, 101, step):
        answered = [o for o in outcomes if o.top is not None and o.score >= threshold]
        right_answered = sum(1 for o in answered if o.top == o.case.expect)
        abstained_rightly = sum(
            1 for o in outcomes if o.case.expect is None and (o.top is None or o.score < threshold)
        )
        points.append(
            Point(threshold, len(answered), right_answered, right_answered + abstained_rightly)
        )
    return points


def document(
    outcomes: list[Outcome],
    name: str,
    bad: list[str],
    known: set[str] | None = None,
    threshold: int | None = None,
) -> Document:
    """The evaluation report: headline numbers, accuracy per tag, then every failure."""
    s = Summary.of(outcomes)
    right = s.top1 + s.abstained
    blocks: list[Block] = [
        Paragraph(
            f"{s.lines} messages from {name}: {right} right ({percent(right, s.lines)}). "
            f"Top-3 means the expected entry was the answer or one of the first alternatives "
            f"offered with it."
        ),
        Table(
            ("measure", "count", "of", "share"),
            tuple(
                (label, count, whole, percent(count, whole))
                for label, count, whole in (
                    ("top-1: the expected entry answered", s.top1, s.in_scope),
                    ("top-3: expected among the first three", s.top3, s.in_scope),
                    ("in scope, another entry answered", s.wrong_entry, s.in_scope),
                    ("out of scope, rightly not answered", s.abstained, s.out_of_scope),
                    ("out of scope, yet answered", s.false_answers, s.out_of_scope),
                )
            ),
        ),
    ]
    tags = per_tag(outcomes)
    if tags:
        blocks.append(Heading("Accuracy per tag"))
        rows = tuple((tag, n, r, percent(r, n)) for tag, (r, n) in tags.items())
        blocks.append(Table(("tag", "messages", "right", "accuracy"), rows))
    if threshold is not None and outcomes:
        blocks.append(Heading("Confidence: answered share against accuracy"))
        blocks.append(
            Paragraph(
                f"The score (0-100) is what the matcher decides on: it answers at {threshold} "
                f"and above (marked), otherwise it says it is not sure. A higher threshold "
                f"answers fewer messages, more of them rightly."
            )
        )
        rows_curve = tuple(
            (
                f"{p.threshold}{' <-' if p.threshold == threshold else ''}",
                percent(p.answered, len(outcomes)),
                percent(p.right_answered, p.answered) if p.answered else "-",
                percent(p.right, len(outcomes)),
            )
            for p in curve(outcomes)
            if p.threshold <= 60 or p.threshold % 10 == 0
        )
        blocks.append(
            Table(("threshold", "answered", "right when answered", "right overall"), rows_curve)
        )
    unknown = sorted({o.case.expect for o in outcomes if o.case.expect} - known) if known else []
    if unknown or bad:
        blocks.append(Heading("Problems in the file"))
        notes = [*bad, *(f"expected id '{i}' is not in the base" for i in unknown)]
        blocks.append(Items(tuple(notes)))
    failures = [o for o in outcomes if not o.right]
    blocks.append(Heading(f"Failures ({len(failures)})"))
    rows_failed = tuple(
        (o.case.line, o.case.text, o.case.expect or "(not sure)", o.got or "(not sure)", o.score)
        for o in failures
    )
    blocks.append(Table(("line", "text", "expected", "got", "score"), rows_failed))
    return Document("Evaluation of the matcher", tuple(blocks))
