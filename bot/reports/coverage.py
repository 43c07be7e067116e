"""`puente report coverage`: what each country's entries lack, topic by topic and language by
language, so editors know where to write next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from bot.content.loader import NO_SOURCES
from bot.content.model import REGION, TOPICS, Entry, KnowledgeBase
from bot.library import Snapshot
from bot.reports.document import Block, Cell, Document, Heading, Items, Paragraph, Table

STALE_MONTHS = 12
COLUMNS = ("answers", "missing", "no sms", "no sources", "stale", "unreviewed")


@dataclass(frozen=True)
class Row:
    """One topic in one language of a country; every count but `entries` counts answers."""

    topic: str
    lang: str
    entries: int  # entries of the topic, whatever their languages
    answers: int  # entries with an answer in `lang`
    missing: int  # entries with no answer in `lang`
    no_sms: int
    no_sources: int
    stale: int
    unreviewed: int

    def counts(self) -> tuple[int, ...]:
        """The answer counts, in column order."""
        return (
            self.answers,
            self.missing,
            self.no_sms,
            self.no_sources,
            self.stale,
            self.unreviewed,
        )


@dataclass(frozen=True)
class Coverage:
    """A country (or the region) and its rows, totals and to-do list."""

    code: str
    name: str
    languages: tuple[str, ...]
    entries: int
    rows: tuple[Row, ...]
    refused: tuple[str, ...]  # `path:line` of entries left out for having no sources
    todo: tuple[str, ...]

    def totals(self) -> tuple[int, ...]:
        """The answer counts over all topics and languages (refused entries lack sources)."""
        sums = [sum(r.counts()[i] for r in self.rows) for i in range(len(COLUMNS))]
        sums[3] += len(self.refused)
        return tuple(sums)

    @property
    def empty_topics(self) -> tuple[str, ...]:
        """Topics with no entry at all."""
        return tuple(dict.fromkeys(r.topic for r in self.rows if r.entries == 0))


def stale_before(today: date, months: int) -> date:
    """The day `months` calendar months before `today` (clamped to the month's length)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    for day in range(today.day, 0, -1):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(today)  # pragma: no cover - day 1 always exists


def coverage(
    snapshot: Snapshot, months: int = STALE_MONTHS, today: date | None = None
) -> list[Coverage]:
    """The coverage of every country of the base, then of the region entries."""
    base = snapshot.base
    cutoff = stale_before(today or date.today(), months)
    refused = _refused(snapshot, base)
    found = []
    for country in base.countries.values():
        entries = [e for e in base.entries if e.country == country.code]
        found.append(
            _one(
                country.code,
                country.name("en"),
                country.languages,
                entries,
                cutoff,
                refused.get(country.code, ()),
            )
        )
    regional = [e for e in base.entries if e.country is None]
    # Region entries stand in for every country, so they are owed every country's languages.
    every = (
        *(lang for c in base.countries.values() for lang in c.languages),
        *(lang for e in regional for lang in e.answer),
    )
    languages = tuple(dict.fromkeys(every))
    found.append(_one(REGION, "Region", languages, regional, cutoff, refused.get(REGION, ())))
    return found


def _one(
    code: str,
    name: str,
    languages: tuple[str, ...],
    entries: list[Entry],
    cutoff: date,
    refused: tuple[str, ...],
) -> Coverage:
    rows = []
    for topic in TOPICS:
        mine = [e for e in entries if e.topic == topic]
        for lang in languages:
            answered = [e for e in mine if lang in e.answer]
            rows.append(
                Row(
                    topic,
                    lang,
                    len(mine),
                    len(answered),
                    len(mine) - len(answered),
                    sum(1 for e in answered if lang not in e.sms),
                    sum(1 for e in answered if not e.sources),
                    sum(1 for e in answered if e.reviewed < cutoff),
                    sum(1 for e in answered if lang in e.unreviewed),
                )
            )
    # The most stale first: what was re-read longest ago is most likely to have changed.
    by_age = sorted(entries, key=lambda e: e.reviewed)
    todo = [item for e in by_age if (item := _todo(e, languages, cutoff))]
    todo.extend(f"{where}: no sources, so the entry is not served" for where in refused)
    return Coverage(code, name, languages, len(entries), tuple(rows), refused, tuple(todo))


def _todo(entry: Entry, languages: tuple[str, ...], cutoff: date) -> str:
    needs = []
    missing = [lang for lang in languages if lang not in entry.answer]
    if missing:
        needs.append("no answer in " + ", ".join(missing))
    no_sms = [lang for lang in entry.answer if lang in languages and lang not in entry.sms]
    if no_sms:
        needs.append("no sms in " + ", ".join(no_sms))
    if not entry.sources:
        needs.append("no sources")
    if entry.reviewed < cutoff:
        needs.append(f"last reviewed {entry.reviewed.isoformat()}")
    if entry.unreviewed:
        needs.append("unreviewed translation: " + ", ".join(sorted(entry.unreviewed)))
    return f"{entry.id} ({entry.path}:{entry.line}): " + "; ".join(needs) if needs else ""


def _refused(snapshot: Snapshot, base: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    """Entries the loader left out for lack of sources, by country folder."""
    found: dict[str, list[str]] = {}
    for problem in snapshot.errors:
        if problem.code != NO_SOURCES:
            continue
        folders = PurePath(problem.path).parts[:-1]
        folder = next((f for f in folders if f in base.countries or f == REGION), None)
        if folder is not None:
            found.setdefault(folder, []).append(f"{problem.path}:{problem.line}")
    return {folder: tuple(places) for folder, places in found.items()}


ALERTS = frozenset(range(4, 9))  # missing … unreviewed
GAPS = frozenset({2, 3})  # no entry, or no answer in the language


def document(
    found: list[Coverage], version: str, months: int = STALE_MONTHS, today: date | None = None
) -> Document:
    """The coverage report: totals per country, then one table and to-do list per country."""
    cutoff = stale_before(today or date.today(), months)
    blocks: list[Block] = [
        Paragraph(
            f"Knowledge base version {version}. Counts are of answers: an entry written in two "
            "languages counts once per language. 'missing' is an entry with no answer in that "
            f"language; 'stale' was last reviewed before {cutoff.isoformat()} "
            f"({months} months); 'unreviewed' is a translation no native speaker has checked; "
            "'empty' counts the topics without a single entry. Each to-do list starts with the "
            "entry reviewed longest ago."
        ),
        Heading("Totals per country"),
        Table(
            ("country", "languages", "entries", *COLUMNS, "empty"),
            tuple(
                (
                    f"{c.code} {c.name}",
                    " ".join(c.languages),
                    c.entries,
                    *c.totals(),
                    len(c.empty_topics),
                )
                for c in found
            ),
            alert=frozenset(range(4, 10)),
            gap=frozenset({2}),
        ),
    ]
    for country in found:
        blocks.append(Heading(f"{country.code} — {country.name} ({' '.join(country.languages)})"))
        rows = []
        for row in country.rows:
            first = row.lang == country.languages[0]
            rows.append(
                (row.topic if first else "", row.lang, row.entries if first else "", *row.counts())
            )
        total: tuple[Cell, ...] = ("total", "", country.entries, *country.totals())
        blocks.append(
            Table(("topic", "lang", "entries", *COLUMNS), tuple(rows), total, ALERTS, GAPS)
        )
        if country.todo:
            blocks.append(Heading("To do", 3))
            blocks.append(Items(country.todo))
    return Document("Coverage of the knowledge base", tuple(blocks))
