"""The topic-file format as JSON Schema, so editors' tools complete and check as they type."""

from __future__ import annotations

from typing import Any

from bot.content.model import TOPICS

_LANG = "^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"


def _by_language(value: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "minProperties": 1,
        "propertyNames": {"pattern": _LANG},
        "additionalProperties": value,
    }


def topic_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one topic file of the knowledge base."""
    text = {"type": "string", "minLength": 1}
    texts = {"type": "array", "items": text}
    url = {"type": "string", "pattern": "^https?://[^\\s]+\\.[^\\s]+$"}
    day = {"type": "string", "format": "date"}
    service = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": text,
            "phone": text,
            "address": text,
            "hours": text,
            "url": url,
            "email": text,
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "cost": text,
            "eligibility": text,
            "documents": text,
            "languages": {"type": "array", "items": {"type": "string", "pattern": _LANG}},
        },
        "dependentRequired": {"lat": ["lon"], "lon": ["lat"]},
    }
    source = {
        "oneOf": [
            url,
            {"type": "object", "required": ["url"], "properties": {"url": url, "date": day}},
        ]
    }
    entry = {
        "type": "object",
        "required": ["id", "title", "answer", "sources", "reviewed"],
        "properties": {
            "id": {
                "type": "string",
                "pattern": "^[a-z0-9][a-z0-9-]*$",
                "description": "unique in the whole base; never change it once published",
            },
            "title": _by_language(text, "short title, per language"),
            "questions": _by_language(texts, "example questions as people write them"),
            "keywords": _by_language(texts, "extra words that point to this entry"),
            "answer": _by_language(text, "the full answer, per language"),
            "sms": _by_language(text, "a short answer for SMS (GSM-7, 2 segments at most)"),
            "warning": _by_language(text, "shown first: rules that are harsh or changing"),
            "services": {"type": "array", "items": service},
            "sources": {"type": "array", "minItems": 1, "items": source},
            "reviewed": {**day, "description": "the day the facts were last checked"},
            "unreviewed": {
                "type": "array",
                "items": {"type": "string", "pattern": _LANG},
                "description": "languages no native speaker has reviewed yet",
            },
        },
    }
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
