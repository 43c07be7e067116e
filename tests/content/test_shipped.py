"""The shipped knowledge base is complete enough to deploy: every country, topic and language."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from bot.content.model import TOPICS
from bot.library import Snapshot, build_snapshot
from bot.reports.checks import phone_parses
from tests.conftest import DATA, ROOT

COUNTRIES = ("tt", "jm", "gy", "bz", "ht", "do", "mx", "gt", "hn", "sv", "cr")
REGION_LANGUAGES = {"en", "es", "fr", "ht"}
# Mexicans sent back from the United States often read English best.
EXTRA_LANGUAGES = {("mx", "reintegration"): {"en"}}
MIN_QUESTIONS = 5


@pytest.fixture(scope="module")
def shipped() -> Snapshot:
    return build_snapshot(ROOT / "knowledge")


def test_every_country_is_there_with_names_emergency_numbers_and_a_source(
    shipped: Snapshot,
) -> None:
    countries = shipped.base.countries
    assert set(COUNTRIES) <= set(countries)
    for code in COUNTRIES:
        country = countries[code]
        assert {"en", "es", "fr", "ht", "pt"} <= set(country.names), code
        assert {"police", "ambulance"} <= set(country.emergency), code
        for service, number in country.emergency.items():
            assert phone_parses(number, code), (code, service, number)
        assert country.sources and country.reviewed, code


def test_every_country_has_all_seven_topics(shipped: Snapshot) -> None:
    topics = {(e.country, e.topic) for e in shipped.base.entries}
    missing = [(c, t) for c in COUNTRIES for t in TOPICS if (c, t) not in topics]
    assert missing == []


def test_every_entry_speaks_its_countrys_languages_with_enough_example_questions(
    shipped: Snapshot,
) -> None:
    short: list[str] = []
    for entry in shipped.base.entries:
        if entry.country is None:
            wanted = REGION_LANGUAGES
        else:
            wanted = set(shipped.base.countries[entry.country].languages)
            wanted |= EXTRA_LANGUAGES.get((entry.country, entry.topic), set())
        assert wanted <= set(entry.answer), (entry.id, wanted - set(entry.answer))
        assert wanted <= set(entry.title), (entry.id, wanted - set(entry.title))
        assert entry.unreviewed <= set(entry.answer), entry.id
        short += [
            f"{entry.id} ({lang})"
            for lang in sorted(entry.answer)
            if len(entry.questions.get(lang, ())) < MIN_QUESTIONS
        ]
    assert short == [], f"fewer than {MIN_QUESTIONS} example questions"


def test_the_region_covers_what_holds_everywhere(shipped: Snapshot) -> None:
    region = Counter(e.topic for e in shipped.base.entries if e.country is None)
    # Skills certificate, return and reintegration, family tracing and trafficking, asylum and
    # free movement papers.
    assert {"certification", "reintegration", "emergency", "documents"} <= set(region)


def test_the_test_messages_cover_every_country_in_four_languages_or_more() -> None:
    lines = [
        json.loads(line)
        for path in sorted((DATA / "shipped").glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(lines) >= 300
    languages = Counter(t for line in lines for t in line["tags"] if t.startswith("lang-"))
    assert len([lang for lang, n in languages.items() if n >= 10]) >= 4, languages
    asked = Counter(str(line["expect"]).split("-")[0] for line in lines if line["expect"])
    assert set(COUNTRIES) <= set(asked), asked
