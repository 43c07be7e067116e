"""The coverage report counts what each country's entries lack, per topic and language."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot.cli import main
from bot.library import build_snapshot
from bot.reports.coverage import Coverage, Row, coverage, document, stale_before
from bot.reports.document import render_text
from tests.conftest import add_entries

TODAY = date(2026, 11, 1)


def gaps(root: Path) -> None:
    """Add to the mini base: an untranslated stale entry, an unreviewed translation and an entry
    without sources (which the loader refuses)."""
    add_entries(
        root,
        "tt/documents.yaml",
        "documents",
        """\
        - id: mini-tt-birth
          title: {en: Birth certificate}
          questions: {en: [birth certificate for my baby]}
          answer: {en: "Register the birth at the registry office."}
          sources: [https://example.org/birth]
          reviewed: 2024-01-15
        """,
    )
    add_entries(
        root,
        "tt/health.yaml",
        "health",
        """\
        - id: mini-tt-dentist
          title: {en: Dentist, es: Dentista}
          questions: {en: [toothache], es: [dolor de muela]}
          answer: {en: "The clinic has a dentist on Mondays.", es: "La clínica tiene dentista."}
          sms: {en: "Dentist: Mondays.", es: "Dentista: lunes."}
          sources: [https://example.org/dentist]
          reviewed: 2026-09-01
          unreviewed: [es]
        """,
    )
    add_entries(
        root,
        "tt/work.yaml",
        "work",
        """\
        - id: mini-tt-permit
          title: {en: Work permit}
          questions: {en: [work permit]}
          answer: {en: "Ask the ministry."}
          reviewed: 2026-09-01
        """,
    )


def by_code(found: list[Coverage]) -> dict[str, Coverage]:
    return {c.code: c for c in found}


def row(country: Coverage, topic: str, lang: str) -> Row:
    return next(r for r in country.rows if r.topic == topic and r.lang == lang)


def test_counts_per_topic_and_language(mini: Path) -> None:
    gaps(mini)
    found = by_code(coverage(build_snapshot(mini), months=12, today=TODAY))
    tt = found["tt"]
    assert tt.languages == ("en", "es")
    assert tt.entries == 5
    #            topic, lang, entries, answers, missing, no sms, no sources, stale, unreviewed
    assert row(tt, "health", "en") == Row("health", "en", 3, 3, 0, 1, 0, 0, 0)
    assert row(tt, "health", "es") == Row("health", "es", 3, 3, 0, 2, 0, 0, 1)
    assert row(tt, "documents", "en") == Row("documents", "en", 2, 2, 0, 2, 0, 1, 0)
    assert row(tt, "documents", "es") == Row("documents", "es", 2, 1, 1, 1, 0, 0, 0)
    assert row(tt, "work", "en") == Row("work", "en", 0, 0, 0, 0, 0, 0, 0)
    # answers, missing, no sms, no sources (the refused entry), stale, unreviewed
    assert tt.totals() == (9, 1, 6, 1, 1, 1)
    assert tt.refused == ("mini/tt/work.yaml:3",)
    assert tt.empty_topics == ("education", "certification", "reintegration", "emergency", "work")
    todo = "\n".join(tt.todo)
    assert "mini-tt-birth (mini/tt/documents.yaml:13): no answer in es; no sms in en; " in todo
    assert "last reviewed 2024-01-15" in todo
    assert "mini-tt-dentist" in todo and "unreviewed translation: es" in todo
    assert "mini/tt/work.yaml:3: no sources, so the entry is not served" in todo


def test_a_country_without_entries_and_the_region(mini: Path) -> None:
    found = by_code(coverage(build_snapshot(mini), today=TODAY))
    assert found["jm"].entries == 0
    assert found["jm"].totals() == (0, 0, 0, 0, 0, 0)
    assert len(found["jm"].empty_topics) == 7
    region = found["region"]
    # Region entries stand in for every country, so they owe all of the countries' languages.
    assert region.languages == ("en", "es", "fr")
    assert row(region, "certification", "fr") == Row("certification", "fr", 1, 1, 0, 1, 0, 0, 0)


def test_stale_threshold_in_months(mini: Path) -> None:
    gaps(mini)
    snapshot = build_snapshot(mini)
    assert by_code(coverage(snapshot, months=12, today=TODAY))["tt"].totals()[4] == 1
    assert by_code(coverage(snapshot, months=36, today=TODAY))["tt"].totals()[4] == 0
    # With no months of grace every answer reviewed before today is stale.
    assert by_code(coverage(snapshot, months=0, today=TODAY))["tt"].totals()[4] == 9


@pytest.mark.parametrize(
    ("today", "months", "cutoff"),
    [
        (date(2026, 11, 1), 12, date(2025, 11, 1)),
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2026, 1, 15), 13, date(2024, 12, 15)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
    ],
)
def test_stale_before(today: date, months: int, cutoff: date) -> None:
    assert stale_before(today, months) == cutoff


def test_text_tables_read_as_columns(mini: Path) -> None:
    gaps(mini)
    snapshot = build_snapshot(mini)
    text = render_text(document(coverage(snapshot, 12, TODAY), "v1", 12, TODAY))
    lines = text.splitlines()
    total = next(line for line in lines if line.startswith("tt Trinidad and Tobago"))
    assert re.split(r"\s{2,}", total) == [
        "tt Trinidad and Tobago",
        "en es",
        *["5", "9", "1", "6", "1", "1", "1", "5"],
    ]
    header = next(line for line in lines if line.startswith("topic"))
    assert header.split() == [
        "topic", "lang", "entries", "answers", "missing", "no", "sms", "no", "sources", "stale",
        "unreviewed",
    ]  # fmt: skip
    documents = lines.index(next(line for line in lines if line.startswith("documents  ")))
    assert lines[documents].split() == ["documents", "en", "2", "2", "0", "2", "0", "1", "0"]
    assert lines[documents + 1].split() == ["es", "1", "1", "1", "0", "0", "0"]
    assert "before 2025-11-01 (12 months)" in text.replace("\n", " ")


def test_command_prints_the_report(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gaps(mini)
    assert main(["report", "coverage", "--knowledge", str(mini), "--stale-months", "600"]) == 0
    captured = capsys.readouterr()
    assert "1 problem(s) in the content" in captured.err
    total = next(line for line in captured.out.splitlines() if line.startswith("tt Trinidad"))
    assert re.split(r"\s{2,}", total)[2:] == ["5", "9", "1", "6", "1", "0", "1", "5"]


def test_an_empty_folder_gives_an_empty_report(tmp_path: Path) -> None:
    snapshot = build_snapshot(tmp_path)
    found = coverage(snapshot, today=TODAY)
    assert [(c.code, c.languages, c.totals()) for c in found] == [("region", (), (0,) * 6)]
    assert "region — Region ()" in render_text(document(found, "v0", today=TODAY))


def test_the_to_do_list_starts_with_what_was_reviewed_longest_ago(tmp_path: Path) -> None:
    import shutil

    from tests.conftest import DATA

    folder = tmp_path / "knowledge"
    shutil.copytree(DATA / "mini", folder)
    health = folder / "tt" / "health.yaml"
    text = health.read_text()
    health.write_text(text.replace("reviewed: 2026-10-01", "reviewed: 2024-01-05", 1))
    found = {c.code: c for c in coverage(build_snapshot(folder), 12)}
    assert found["tt"].todo[0].startswith("mini-tt-clinic ")
