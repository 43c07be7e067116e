"""Warnings editors can act on before they push, each with its file and line."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.library import build_snapshot
from bot.reports.checks import content_warnings, phone_parses
from tests.conftest import DATA, ROOT


@pytest.mark.parametrize(
    ("phone", "country", "parses"),
    [
        ("+1 868 622 1234", "tt", True),
        ("999", "tt", True),  # a short code
        ("623-5030 / 227-4083", "gy", True),  # two numbers in one field
        ("+1 868 555 0100", "tt", False),  # 555 numbers are fiction
        ("call us", "tt", False),
        ("12", "tt", False),
    ],
)
def test_phone_numbers_must_parse_for_their_country(phone: str, country: str, parses: bool) -> None:
    assert phone_parses(phone, country) is parses


def test_warnings_name_the_entry_and_what_to_fix(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(DATA / "mini", folder)
    health = folder / "tt" / "health.yaml"
    text = health.read_text()
    text = text.replace(
        'sms: {en: "Example Clinic: free, weekdays. Bring any ID."}',
        'sms: {en: "Clínica: free — weekdays, call 868-555-0199 (2019)"}',
    )
    text = text.replace(
        "sources: [https://example.org/clinic]",
        "sources: [https://example.org/clinic, {url: https://example.org/old, date: 2020-03-01}]",
    )
    text = text.replace(
        "[where can i see a doctor,", "[i lost my passport, where can i see a doctor,"
    )
    health.write_text(text)
    warnings = [str(w) for w in content_warnings(build_snapshot(folder), 2, date(2027, 4, 1))]
    joined = "\n".join(warnings)
    assert "mini-tt-clinic: sms.en has characters outside GSM-7 (í—)" in joined
    assert "phone '+1 868 555 0100' does not parse for TT" in joined
    assert "reviewed 2026-10-01, more than 180 days ago" in joined
    assert "sms.en gives the number 8685550199, which the en answer never gives" in joined
    assert "2019" not in joined  # a year is not a phone number
    assert "source https://example.org/old is from 2020-03-01, more than three years" in joined
    assert "the example question 'i lost my passport' is closer to mini-tt-passport" in joined
    assert "tt offers 'es'" not in joined  # every mini tt entry has Spanish
    clinic = [w for w in warnings if "mini-tt-clinic" in w]
    assert clinic and all(w.startswith("knowledge/tt/health.yaml:3: warning: ") for w in clinic)


def test_recently_reviewed_entries_and_fresh_sources_are_not_flagged(tmp_path: Path) -> None:
    warnings = [
        str(w) for w in content_warnings(build_snapshot(DATA / "mini"), 2, date(2026, 12, 1))
    ]
    assert not [w for w in warnings if "days ago" in w or "three years" in w]


def test_the_sms_budget_decides_which_long_answers_need_sms_text(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(DATA / "mini", folder)
    health = folder / "tt" / "health.yaml"
    long = "Any public hospital emergency room treats urgent cases. " * 4  # about 230 characters
    health.write_text(
        health.read_text().replace(
            'en: "Any public hospital emergency room treats urgent cases."', f'en: "{long}"'
        )
    )
    snapshot = build_snapshot(folder)

    def flagged(budget: int) -> bool:
        found = [str(w) for w in content_warnings(snapshot, budget, date(2026, 12, 1))]
        return any("mini-tt-emergency: the en answer is over" in w for w in found)

    assert flagged(1) and not flagged(2)


def test_the_shipped_base_has_no_errors_and_every_entry_is_sourced() -> None:
    snapshot = build_snapshot(ROOT / "knowledge")
    assert snapshot.errors == ()
    for entry in snapshot.base.entries:
        assert entry.sources and entry.reviewed
        country = snapshot.base.countries.get(entry.country or "")
        if country is not None:
            assert set(country.languages) <= set(entry.answer), entry.id
        for service in entry.services:
            if service.phone and entry.country:
                assert phone_parses(service.phone, entry.country), (entry.id, service.phone)
