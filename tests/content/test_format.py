"""One definition of the topic-file format: the loader and the JSON Schema agree on it."""

from __future__ import annotations

import json
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.content import format as fmt
from bot.content import load_knowledge
from bot.content.schema import topic_schema
from tests.conftest import ROOT, write_files

COUNTRIES = """\
    countries:
      tt:
        names: {en: Trinidad and Tobago}
        languages: [en]
        emergency: {police: "999"}
        timezone: America/Port_of_Spain
"""
EVERY_FIELD = """\
    topic: health
    entries:
      - id: tt-health-every-field
        title: {en: Every field}
        questions: {en: [one, two, three, four, five]}
        keywords: {en: [clinic]}
        answer: {en: The whole answer.}
        sms: {en: The short answer.}
        warning: {en: Something changed.}
        services:
          - name: Clinic
            phone: "+1 868 555 0100"
            address: 1 Example Street
            hours: Mon-Fri 8-4
            url: https://example.org/clinic
            email: clinic@example.org
            lat: 10.65
            lon: -61.5
            cost: free
            eligibility: anyone
            documents: any ID
            languages: [en, es]
            as_of: 2024-05-01
        sources:
          - https://example.org/a
          - {url: "https://example.org/b", date: 2025-01-02}
        reviewed: 2026-11-20
        unreviewed: [es]
"""


def _plain(value: Any) -> Any:
    """YAML as JSON sees it: dates as ISO text."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _validator() -> jsonschema.Draft202012Validator:
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    return jsonschema.Draft202012Validator(topic_schema(), format_checker=checker)


def test_the_shipped_schema_file_is_the_generated_one() -> None:
    shipped = json.loads((ROOT / "knowledge" / "schema.json").read_text())
    assert shipped == topic_schema(), "run: puente schema > knowledge/schema.json"


def test_every_shipped_topic_file_is_valid_against_the_schema() -> None:
    validator = _validator()
    files = [p for p in (ROOT / "knowledge").rglob("*.yaml") if p.name != "countries.yaml"]
    assert len(files) > 70
    for path in files:
        data = _plain(yaml.load(path.read_text(), Loader=yaml.CSafeLoader))
        errors = [e.message for e in validator.iter_errors(data)]
        assert not errors, (path, errors[:3])


def test_the_loader_reads_every_field_the_format_declares(tmp_path: Path) -> None:
    root = write_files(tmp_path, {"countries.yaml": COUNTRIES, "tt/health.yaml": EVERY_FIELD})
    base, problems = load_knowledge(root)
    assert [p for p in problems if "unknown" in p.message] == []
    (entry,) = base.entries
    service = entry.services[0]
    for field in fmt.SERVICE:
        assert getattr(service, field.name) not in (None, ()), field.name
    assert service.as_of == date(2024, 5, 1) and service.languages == ("en", "es")
    for field in fmt.ENTRY:
        assert getattr(entry, field.name) not in (None, (), {}, frozenset()), field.name
    data = _plain(yaml.load(textwrap.dedent(EVERY_FIELD), Loader=yaml.CSafeLoader))
    assert not list(_validator().iter_errors(data))


@pytest.mark.parametrize("name", fmt.required(fmt.ENTRY))
def test_a_missing_required_field_is_refused_by_both(tmp_path: Path, name: str) -> None:
    lines = EVERY_FIELD.splitlines(keepends=True)
    kept = "".join(line for line in lines if not line.lstrip(" -").startswith(f"{name}:"))
    if name == "id":  # the list item starts at the id; the next field opens it instead
        kept = kept.replace("        title:", "      - title:")
    root = write_files(tmp_path, {"countries.yaml": COUNTRIES, "tt/health.yaml": kept})
    base, problems = load_knowledge(root)
    assert base.entries == () and any(p.severity == "error" for p in problems)
    data = _plain(yaml.load(textwrap.dedent(kept), Loader=yaml.CSafeLoader))
    assert list(_validator().iter_errors(data)), name
