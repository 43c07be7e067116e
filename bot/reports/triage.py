"""`puente report triage FILE`: how well emergencies are recognised, per language and kind."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bot.content.triage import Triage
from bot.reports.document import Document, Heading, Paragraph, Table, percent


@dataclass(frozen=True)
class Judged:
    """One message of the set, what it is and what triage said."""

    line: int
    text: str
    emergency: bool
    alarmed: bool
    score: float
    tags: tuple[str, ...]


def judge(triage: Triage, path: Path) -> list[Judged]:
    """Every {text, emergency, lang, tags} line of `path`, judged."""
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        item = json.loads(line)
        text = str(item["text"])
        score = triage.score(text)
        alarmed = triage.is_emergency(text)
        tags: tuple[str, ...] = (f"lang-{item['lang']}",) if item.get("lang") else ()
        tags += tuple(str(t) for t in item.get("tags", ()))
        found.append(Judged(number, text, bool(item["emergency"]), alarmed, score, tags))
    return found


def document(judged: list[Judged], source: str) -> Document:
    """Recall on emergencies, false alarms on the rest, per tag, and every mistake."""
    emergencies = [j for j in judged if j.emergency]
    others = [j for j in judged if not j.emergency]
    caught = sum(j.alarmed for j in emergencies)
    alarms = sum(j.alarmed for j in others)
    by_tag: dict[str, list[Judged]] = defaultdict(list)
    for item in judged:
        for tag in item.tags:
            by_tag[tag].append(item)
    rows = []
    for tag, items in sorted(by_tag.items()):
        positive = [i for i in items if i.emergency]
        negative = [i for i in items if not i.emergency]
        rows.append(
            (
                tag,
                len(positive),
                percent(sum(i.alarmed for i in positive), len(positive)) if positive else "",
                len(negative),
                percent(sum(i.alarmed for i in negative), len(negative)) if negative else "",
            )
        )
    mistakes = tuple(
        (j.line, j.text[:70], "missed" if j.emergency else "false alarm", f"{j.score:.2f}")
        for j in judged
        if j.emergency != j.alarmed
    )
    return Document(
        "Emergency triage",
        (
            Paragraph(
                f"{len(judged)} messages from {source}: {len(emergencies)} emergencies, "
                f"{caught} recognised (recall {percent(caught, len(emergencies))}); "
                f"{len(others)} other messages, {alarms} false alarms "
                f"({percent(alarms, len(others))})."
            ),
            Heading("Per tag"),
            Table(("tag", "emergencies", "recognised", "others", "false alarms"), tuple(rows)),
            Heading(f"Mistakes ({len(mistakes)})"),
            Table(("line", "text", "what", "score"), mistakes),
        ),
    )
