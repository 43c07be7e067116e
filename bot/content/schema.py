"""The topic-file format as JSON Schema, made from `bot.content.format` for editors' tools."""

from __future__ import annotations

from typing import Any

from bot.content import format as fmt
from bot.content.model import TOPICS

_TEXT = {"type": "string", "minLength": 1}
_URL = {"type": "string", "pattern": fmt.URL_PATTERN}
_DATE = {"type": "string", "format": "date"}
_LANGS = {"type": "array", "items": {"type": "string", "pattern": fmt.LANG_PATTERN}}


def _by_language(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"pattern": fmt.LANG_PATTERN},
        "additionalProperties": value,
    }


def _record(fields: tuple[fmt.Field, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": list(fmt.required(fields)),
        "properties": {f.name: {**_value(f.kind), "description": f.description} for f in fields},
    }


def _value(kind: fmt.Kind) -> dict[str, Any]:
    if kind is fmt.Kind.SOURCES:
        return {"type": "array", "minItems": 1, "items": {"oneOf": [_URL, _record(fmt.SOURCE)]}}
    if kind is fmt.Kind.SERVICES:
        service = {**_record(fmt.SERVICE), "dependentRequired": {"lat": ["lon"], "lon": ["lat"]}}
        return {"type": "array", "items": service}
    return dict(_PLAIN[kind])


_PLAIN: dict[fmt.Kind, dict[str, Any]] = {
    fmt.Kind.ID: {"type": "string", "pattern": fmt.HOUSE_ID_PATTERN},
    fmt.Kind.TEXT: _TEXT,
    fmt.Kind.URL: _URL,
    fmt.Kind.DATE: _DATE,
    fmt.Kind.LATITUDE: {"type": "number", "minimum": -90, "maximum": 90},
    fmt.Kind.LONGITUDE: {"type": "number", "minimum": -180, "maximum": 180},
    fmt.Kind.LANGUAGES: _LANGS,
    fmt.Kind.COUNTRIES: {
        "type": "array",
        "minItems": 1,
        "items": {"type": "string", "pattern": r"^([a-z]{2}|region)$"},
    },
    fmt.Kind.TOPICS: {"type": "array", "items": {"enum": list(TOPICS)}},
    fmt.Kind.SEVERITY: {"enum": list(fmt.SEVERITIES)},
    # YAML reads a timestamp as a date-time; JSON tools see the text, which must carry its offset.
    fmt.Kind.TIMESTAMP: {"type": "string", "format": "date-time"},
    fmt.Kind.TEXT_BY_LANGUAGE: _by_language(_TEXT),
    # A bare number such as 911 is a keyword too: YAML reads it as a number.
    fmt.Kind.TEXTS_BY_LANGUAGE: _by_language(
        {"type": "array", "items": {"anyOf": [_TEXT, {"type": "integer"}]}}
    ),
}


def topic_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one topic file of the knowledge base."""
    entry = _record(fmt.ENTRY)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Puente knowledge topic file",
        "type": "object",
        "required": ["topic", "entries"],
        "properties": {
            "topic": {"enum": list(TOPICS)},
            "entries": {"type": "array", "items": entry},
        },
    }


def alert_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one alert file, knowledge/alerts/*.yaml."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Puente alert file",
        **_record(fmt.ALERT),
    }
