"""Alerts: one YAML file each under knowledge/alerts/, read by the format in `format.ALERT`.

An alert is checked like every other content file (`path:line: message`), and one with an
error is left out whole: a half-read alert must never be broadcast. The folder is part of the
knowledge base, so `puente check` validates it and live reload picks up a new file.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.content import format as fmt
from bot.content.loader import Report, date_field, read_sources, text_map
from bot.content.model import REGION, TOPICS, Alert, Country
from bot.content.yamlsource import Problem, YamlError, line_of, load_yaml

FOLDER = "alerts"
_FIELDS = fmt.names(fmt.ALERT)
_ID = re.compile(fmt.HOUSE_ID_PATTERN)
_ONE = {"countries": "country", "topics": "topic"}


def alert_files(root: Path) -> list[Path]:
    """The alert files of a knowledge folder, in name order."""
    folder = root / FOLDER
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.suffix in {".yaml", ".yml"})


def load_alerts(
    root: Path, countries: dict[str, Country], problems: list[Problem], shown: Any
) -> tuple[Alert, ...]:
    """Every valid alert under root/alerts; problems of the others appended to `problems`."""
    alerts: list[Alert] = []
    seen: dict[str, str] = {}
    for path in alert_files(root):
        report = Report(shown(path), problems)
        try:
            data = load_yaml(path, report.path)
        except YamlError as exc:
            problems.append(exc.problem)
            continue
        alert = _alert(data, countries, report, seen)
        if alert is not None:
            alerts.append(alert)
    return tuple(alerts)


def _alert(
    data: Any, countries: dict[str, Country], report: Report, seen: dict[str, str]
) -> Alert | None:
    if not isinstance(data, dict):
        report.error(line_of(data), "an alert file is one mapping starting with 'id:'")
        return None
    before = report.errors
    alert_id = data.get("id")
    if not isinstance(alert_id, str) or not _ID.match(alert_id):
        report.error(
            line_of(data, "id"), f"alert id '{alert_id}' must be lower-case letters, digits, dashes"
        )
    elif alert_id in seen:
        report.error(
            line_of(data, "id"), f"duplicate alert id '{alert_id}' (first at {seen[alert_id]})"
        )
    else:
        seen[alert_id] = f"{report.path}:{line_of(data, 'id')}"
    for key in data:
        if key not in _FIELDS:
            report.warn(line_of(data, key), f"unknown field '{key}' (a typo?)")
    where = _codes(data, "countries", set(countries) | {REGION}, report, required=True)
    topics = _codes(data, "topics", set(TOPICS), report, required=False)
    severity = data.get("severity")
    if severity not in fmt.SEVERITIES:
        report.error(
            line_of(data, "severity"),
            f"severity '{severity}' must be one of {', '.join(fmt.SEVERITIES)}",
        )
    starts = _moment(data, "starts", report)
    expires = _moment(data, "expires", report)
    if starts is not None and expires is not None and expires <= starts:
        report.error(line_of(data, "expires"), "'expires' must come after 'starts'")
    text = text_map(data, "text", report, required=True)
    sms = text_map(data, "sms", report, required=True)
    for lang in text:
        if lang not in sms:
            report.error(line_of(data, "sms"), f"'sms.{lang}' is missing: SMS subscribers need it")
    for lang, short in sms.items():
        if len(short) > fmt.SMS_ALERT_CHARS:
            report.warn(
                line_of(data["sms"], lang),
                f"'sms.{lang}' has {len(short)} characters: keep it within "
                f"{fmt.SMS_ALERT_CHARS}, one SMS",
            )
    found = read_sources(data, report, required=True)
    reviewed = date_field(data, report, required=True)
    if report.errors > before or reviewed is None or starts is None or expires is None:
        return None
    return Alert(
        str(alert_id),
        frozenset(where),
        frozenset(topics),
        str(severity),
        starts,
        expires,
        text,
        sms,
        found,
        reviewed,
        report.path,
        line_of(data),
    )


def _codes(
    data: dict[str, Any], key: str, known: set[str], report: Report, required: bool
) -> list[str]:
    value = data.get(key)
    if value is None:
        if required:
            report.error(line_of(data), f"'{key}' is missing: e.g. {key}: [tt]")
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or (required and not value):
        report.error(line_of(data, key), f"'{key}' must be a list, e.g. {key}: [tt]")
        return []
    result = []
    for index, code in enumerate(value):
        if code in known:
            result.append(str(code))
        else:
            report.error(
                line_of(value, index),
                f"unknown {_ONE[key]} '{code}' in '{key}': use one of " + ", ".join(sorted(known)),
            )
    return result


def _moment(data: dict[str, Any], key: str, report: Report) -> datetime | None:
    value = data.get(key)
    example = "2026-12-03T08:00:00-04:00"
    if value is None:
        report.error(line_of(data), f"'{key}' is missing: a date and time such as {example}")
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        report.error(
            line_of(data, key),
            f"'{key}: {value}' needs a date, a time and its UTC offset, such as {example}",
        )
        return None
    return value
