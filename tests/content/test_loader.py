"""The loader tells editors every problem, with file and line, and never gives up on the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.content import load_knowledge
from tests.conftest import write_files

COUNTRIES = """\
countries:
  tt:
    names: {en: Trinidad and Tobago, es: Trinidad y Tobago}
    languages: [en, es]
    emergency: {police: "999"}
    timezone: America/Port_of_Spain
"""

GOOD_ENTRY = """\
  - id: tt-health-clinic
    title: {en: Clinics, es: Clínicas}
    questions: {en: [where is a clinic], es: [donde hay una clinica]}
    answer: {en: Go to the clinic., es: Vaya a la clínica.}
    sources: [https://example.org/clinics]
    reviewed: 2026-01-10
"""


def test_valid_base_loads_with_dates_services_and_sources(tmp_path: Path) -> None:
    entry = (
        GOOD_ENTRY
        + """\
    services:
      - {name: Clinic, phone: "+1 868 555 0100", lat: 10.6, lon: -61.5}
    unreviewed: [es]
"""
    )
    root = write_files(
        tmp_path / "kb",
        {"countries.yaml": COUNTRIES, "tt/health.yaml": "topic: health\nentries:\n" + entry},
    )
    base, problems = load_knowledge(root)
    assert problems == []
    loaded = base.entry("tt-health-clinic")
    assert loaded is not None
    assert loaded.country == "tt" and loaded.topic == "health"
    assert loaded.reviewed.isoformat() == "2026-01-10"
    assert loaded.services[0].lat == 10.6
    assert loaded.unreviewed == frozenset({"es"})
    assert loaded.questions["es"] == ("donde hay una clinica",)


def test_yaml_syntax_error_names_the_line_and_keeps_other_files(tmp_path: Path) -> None:
    root = write_files(
        tmp_path / "kb",
        {
            "countries.yaml": COUNTRIES,
            "tt/health.yaml": "topic: health\nentries:\n" + GOOD_ENTRY,
            "tt/work.yaml": "topic: work\nentries:\n  - id: x\n    title: {en: [unclosed\n",
        },
    )
    base, problems = load_knowledge(root)
    assert [p.path.endswith("tt/work.yaml") for p in problems] == [True]
    assert problems[0].line == 5  # where the parser noticed, naming where the list opened
    assert "YAML syntax" in problems[0].message and "starts on line 4" in problems[0].message
    assert base.entry("tt-health-clinic") is not None


def test_every_problem_of_a_run_is_reported_at_once_with_its_line(tmp_path: Path) -> None:
    bad = """\
    topic: health
    entries:
      - id: tt-a
        title: {en: A}
        answer: {en: Text}
        sources: [not-a-url]
        reviewed: 2026-13-45
      - id: tt-b
        title: {en: B}
        sources: [https://example.org/b]
        reviewed: 2026-01-01
      - id: tt-health-clinic
        title: {en: C}
        answer: {en: Text}
        sources: [https://example.org/c]
        reviewed: 2026-01-01
        services:
          - {name: Place, lat: 200, lon: 10}
    """
    root = write_files(
        tmp_path / "kb",
        {
            "countries.yaml": COUNTRIES,
            "tt/a.yaml": "topic: health\nentries:\n" + GOOD_ENTRY,
            "tt/b.yaml": bad,
            "tt/c.yaml": "topic: cooking\nentries: []\n",
            "xx/d.yaml": "topic: health\nentries: []\n",
        },
    )
    found = {(Path(p.path).name, p.line, p.message.split(" ")[0]) for p in load_knowledge(root)[1]}
    messages = " | ".join(str(p) for p in load_knowledge(root)[1])
    assert ("b.yaml", 6, "malformed") in found, messages
    assert ("b.yaml", 7, "bad") in found, messages  # 2026-13-45 is not a date
    assert ("b.yaml", 8, "'answer'") in found, messages  # missing in every language
    assert ("b.yaml", 18, "bad") in found, messages  # coordinates
    assert any(
        name == "b.yaml" and "duplicate id 'tt-health-clinic'" in m
        for name, _, m in {(Path(p.path).name, p.line, p.message) for p in load_knowledge(root)[1]}
    )
    assert ("c.yaml", 1, "unknown") in found, messages
    assert ("d.yaml", 1, "unknown") in found, messages


def test_check_command_prints_path_line_message_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_files(
        tmp_path / "kb",
        {
            "countries.yaml": COUNTRIES,
            "tt/health.yaml": "topic: health\nentries:\n"
            + GOOD_ENTRY.replace("reviewed: 2026-01-10", "reviewed: last week"),
        },
    )
    assert main(["check", str(root)]) == 1
    out = capsys.readouterr().out
    assert "kb/tt/health.yaml:8: bad date 'last week': write it as YYYY-MM-DD" in out


def test_warnings_alone_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = write_files(
        tmp_path / "kb",
        {
            "countries.yaml": COUNTRIES,
            "tt/health.yaml": "topic: health\nentries:\n" + GOOD_ENTRY + "    colour: blue\n",
        },
    )
    assert main(["check", str(root)]) == 0
    assert "warning: unknown field 'colour'" in capsys.readouterr().out


def test_unknown_time_zone_and_bad_country_code(tmp_path: Path) -> None:
    countries = COUNTRIES.replace("America/Port_of_Spain", "Mars/Olympus") + (
        "  TTO:\n    names: {en: X}\n    languages: [en]\n    timezone: UTC\n"
    )
    root = write_files(tmp_path / "kb", {"countries.yaml": countries})
    messages = [p.message for p in load_knowledge(root)[1]]
    assert "unknown time zone 'Mars/Olympus'" in messages
    assert any("'TTO' is not an ISO 3166-1 alpha-2 code" in m for m in messages)


def test_not_utf8_is_reported_not_raised(tmp_path: Path) -> None:
    root = write_files(tmp_path / "kb", {"countries.yaml": COUNTRIES})
    (root / "tt").mkdir()
    (root / "tt" / "health.yaml").write_bytes(b"topic: health\nentries: []\n\xff\xfe")
    problems = load_knowledge(root)[1]
    assert len(problems) == 1 and "not UTF-8" in problems[0].message


def test_a_bad_country_field_is_reported_but_keeps_its_entries(tmp_path: Path) -> None:
    countries = COUNTRIES.replace("    timezone: America/Port_of_Spain\n", "")
    root = write_files(
        tmp_path / "kb",
        {"countries.yaml": countries, "tt/health.yaml": "topic: health\nentries:\n" + GOOD_ENTRY},
    )
    base, problems = load_knowledge(root)
    assert [p.message for p in problems] == [
        "'timezone' is missing: an IANA name such as America/Port_of_Spain"
    ]
    assert base.entry("tt-health-clinic") is not None  # the folder is still a known country


def test_a_service_name_cut_at_an_unquoted_comma_is_named_with_the_fix(tmp_path: Path) -> None:
    entry = (
        GOOD_ENTRY
        + """\
    services:
      - {name: Ministry of Labour, Kingston, phone: "+1 876 922 9500"}
      - {name: Clinic, fone: "+1 868 555 0100"}
"""
    )
    root = write_files(
        tmp_path / "kb",
        {"countries.yaml": COUNTRIES, "tt/health.yaml": "topic: health\nentries:\n" + entry},
    )
    _, problems = load_knowledge(root)
    errors = [p for p in problems if p.severity == "error"]
    assert [(p.line, "must be in quotes" in p.message) for p in errors] == [(10, True)]
    assert "'Ministry of Labour' is followed by 'Kingston'" in errors[0].message
    typo = [p for p in problems if p.severity == "warning"]
    assert [(p.line, "unknown service field 'fone'" in p.message) for p in typo] == [(11, True)]
