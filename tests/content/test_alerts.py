"""Alert files: read by the one format, every problem told as path:line, bad ones left out."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from bot.content import format as fmt
from bot.content import load_knowledge
from bot.content.schema import alert_schema
from tests.conftest import DATA, ROOT

GOOD = """\
id: tt-test
countries: [tt]
topics: [health]
severity: warning
starts: 2026-01-01T00:00:00-04:00
expires: 2099-01-01T00:00:00-04:00
text: {en: "Example Clinic is closed.", es: "La Clínica Ejemplo está cerrada."}
sms: {en: "Example Clinic closed.", es: "Clinica Ejemplo cerrada."}
sources: [https://example.org/closed]
reviewed: 2026-10-01
"""


def _base(tmp_path: Path, alert: str, name: str = "tt-test.yaml") -> tuple[Any, list[str]]:
    root = tmp_path / "kb"
    shutil.copytree(DATA / "mini", root)
    (root / "alerts").mkdir()
    (root / "alerts" / name).write_text(textwrap.dedent(alert))
    base, problems = load_knowledge(root)
    return base, [str(p) for p in problems]


def test_a_good_alert_is_loaded_with_every_field(tmp_path: Path) -> None:
    base, problems = _base(tmp_path, GOOD)
    assert problems == []
    (alert,) = base.alerts
    for field in fmt.ALERT:
        assert getattr(alert, field.name) not in (None, (), {}, frozenset()), field.name
    assert alert.live(datetime(2026, 6, 1).timestamp())
    assert alert.concerns("tt") and alert.concerns("tt", "health")
    assert not alert.concerns("tt", "work") and not alert.concerns("jm")
    assert alert.in_language("fr") == ("Example Clinic is closed.", "en")
    assert base.entries  # the alerts folder is not read as a country's topic file


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        ("countries: [tt]", 2, "unknown country 'zz'"),
        ("severity: warning", 4, "severity 'bad'"),
        ("starts: 2026-01-01T00:00:00-04:00", 5, "needs a date, a time and its UTC offset"),
        ("expires: 2099-01-01T00:00:00-04:00", 6, "'expires' must come after 'starts'"),
        ('sms: {en: "Example Clinic closed.", es: "Clinica Ejemplo cerrada."}', 8, "'sms.es'"),
        ("sources: [https://example.org/closed]", 9, "malformed source URL"),
    ],
)
def test_each_mistake_is_named_with_its_line_and_the_alert_left_out(
    tmp_path: Path, change: str, line: int, message: str
) -> None:
    broken = {
        "countries: [tt]": "countries: [zz]",
        "severity: warning": "severity: bad",
        "starts: 2026-01-01T00:00:00-04:00": "starts: 2026-01-01 08:00",
        "expires: 2099-01-01T00:00:00-04:00": "expires: 2025-01-01T00:00:00-04:00",
        'sms: {en: "Example Clinic closed.", es: "Clinica Ejemplo cerrada."}': (
            'sms: {en: "Example Clinic closed."}'
        ),
        "sources: [https://example.org/closed]": "sources: [not-a-url]",
    }[change]
    base, problems = _base(tmp_path, GOOD.replace(change, broken))
    assert base.alerts == ()
    assert any(p.startswith(f"kb/alerts/tt-test.yaml:{line}: ") and message in p for p in problems)


def test_puente_check_reports_alert_errors_and_fails(tmp_path: Path) -> None:
    _base(tmp_path, GOOD.replace("severity: warning", "severity: loud"))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check", str(tmp_path / "kb")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "alerts/tt-test.yaml:4: severity 'loud' must be one of info, warning, danger" in (
        result.stdout
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_the_shipped_alert_schema_is_the_generated_one_and_examples_fit_it() -> None:
    shipped = json.loads((ROOT / "knowledge" / "alerts" / "schema.json").read_text())
    assert shipped == alert_schema(), "run: puente schema --alerts > knowledge/alerts/schema.json"
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    validator = jsonschema.Draft202012Validator(alert_schema(), format_checker=checker)
    for path in sorted((DATA / "alerts").glob("*.yaml")):
        data = _plain(yaml.safe_load(path.read_text()))
        assert not [e.message for e in validator.iter_errors(data)], path
    bad = _plain(yaml.safe_load(GOOD.replace("severity: warning", "severity: loud")))
    assert list(validator.iter_errors(bad))


def test_no_alert_is_shipped_in_the_knowledge_base() -> None:
    # An alert is a fact sent to people's phones: none is published without an editor.
    assert not list((ROOT / "knowledge" / "alerts").glob("*.y*ml"))


async def test_live_reload_picks_up_a_new_alert_and_refuses_a_broken_one(tmp_path: Path) -> None:
    from bot.library import Library, build_snapshot, reload_once
    from bot.settings import DEFAULT_LOCALES

    _base(tmp_path, GOOD)
    root = tmp_path / "kb"
    (root / "alerts" / "tt-test.yaml").unlink()
    library = Library(build_snapshot(root))
    assert library.current.base.alerts == ()
    (root / "alerts" / "tt-test.yaml").write_text(GOOD)
    assert await reload_once(library, root, DEFAULT_LOCALES)
    assert [a.id for a in library.current.base.alerts] == ["tt-test"]
    (root / "alerts" / "tt-two.yaml").write_text(GOOD.replace("tt-test", "tt-two")[:-40])
    assert not await reload_once(library, root, DEFAULT_LOCALES)
    assert [a.id for a in library.current.base.alerts] == ["tt-test"]  # the good one stays
