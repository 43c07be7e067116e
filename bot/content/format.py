"""The topic-file format, defined once: the loader reads by it and the JSON Schema is made from it.

Each field says what kind of value it holds; `bot.content.schema` turns the kinds into JSON
Schema for editors' tools, and the loader takes from here which fields exist, which are
required and which service fields are plain text. A field added here is known to both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

LANG_PATTERN = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"
HOUSE_ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
URL_PATTERN = r"^https?://[^\s]+\.[^\s]+$"


class Kind(Enum):
    """What a field holds, as an editor writes it."""

    ID = "id"
    TEXT = "text"  # one non-empty string
    URL = "url"
    DATE = "date"  # YYYY-MM-DD
    LATITUDE = "latitude"
    LONGITUDE = "longitude"
    LANGUAGES = "languages"  # a list of language tags
    TEXT_BY_LANGUAGE = "text by language"  # {en: "...", es: "..."}
    TEXTS_BY_LANGUAGE = "texts by language"  # {en: ["...", ...], ...}
    SOURCES = "sources"  # a list of URLs or {url, date}
    SERVICES = "services"  # a list of services
    COUNTRIES = "countries"  # a list of country codes, or [region] for all
    TOPICS = "topics"  # a list of topic names
    SEVERITY = "severity"  # one of SEVERITIES
    TIMESTAMP = "timestamp"  # YYYY-MM-DDTHH:MM:SS with its UTC offset


@dataclass(frozen=True)
class Field:
    """One field of an entry or a service."""

    name: str
    kind: Kind
    description: str
    required: bool = False


ENTRY: tuple[Field, ...] = (
    Field("id", Kind.ID, "unique in the whole base; never change it once published", True),
    Field("title", Kind.TEXT_BY_LANGUAGE, "short title, per language", True),
    Field("questions", Kind.TEXTS_BY_LANGUAGE, "example questions as people write them"),
    Field("keywords", Kind.TEXTS_BY_LANGUAGE, "extra words that point to this entry"),
    Field("answer", Kind.TEXT_BY_LANGUAGE, "the full answer, per language", True),
    Field("sms", Kind.TEXT_BY_LANGUAGE, "a short answer for SMS (GSM-7, within the SMS budget)"),
    Field("warning", Kind.TEXT_BY_LANGUAGE, "shown first: rules that are harsh or changing"),
    Field("services", Kind.SERVICES, "the places that give this help"),
    Field("sources", Kind.SOURCES, "every fact's public page, with the page's date", True),
    Field("reviewed", Kind.DATE, "the day a person last re-read this entry's sources", True),
    Field("unreviewed", Kind.LANGUAGES, "languages no native speaker has reviewed yet"),
)

SERVICE: tuple[Field, ...] = (
    Field("name", Kind.TEXT, "the place's name", True),
    Field("phone", Kind.TEXT, "international format, as published"),
    Field("address", Kind.TEXT, "street, town"),
    Field("hours", Kind.TEXT, "opening hours"),
    Field("url", Kind.URL, "its page"),
    Field("email", Kind.TEXT, "an address people can write to"),
    Field("lat", Kind.LATITUDE, "decimal degrees, with lon"),
    Field("lon", Kind.LONGITUDE, "decimal degrees, with lat"),
    Field("cost", Kind.TEXT, "what it costs, e.g. free"),
    Field("eligibility", Kind.TEXT, "who can use it"),
    Field("documents", Kind.TEXT, "what to bring"),
    Field("languages", Kind.LANGUAGES, "languages spoken there"),
    Field("as_of", Kind.DATE, "the date of the page its contact details come from"),
)

SOURCE: tuple[Field, ...] = (
    Field("url", Kind.URL, "the page", True),
    Field("date", Kind.DATE, "the page's own publication date, when it shows one"),
)

TOPIC_FILE: tuple[Field, ...] = (
    Field("topic", Kind.TEXT, "health, education, certification, ...", True),
)


# An alert: one YAML file under knowledge/alerts/, broadcast to its subscribers when it starts.
SEVERITIES = ("info", "warning", "danger")
ALERT: tuple[Field, ...] = (
    Field("id", Kind.ID, "unique among alerts; never change it once published", True),
    Field("countries", Kind.COUNTRIES, "the countries it concerns, or [region] for all", True),
    Field("topics", Kind.TOPICS, "the topics it concerns; empty: every subscriber of the country"),
    Field("severity", Kind.SEVERITY, "info, warning or danger", True),
    Field("starts", Kind.TIMESTAMP, "when it is sent, with its UTC offset", True),
    Field("expires", Kind.TIMESTAMP, "when it stops being true: never sent or shown after", True),
    Field("text", Kind.TEXT_BY_LANGUAGE, "the alert, per language (Telegram, WhatsApp)", True),
    Field("sms", Kind.TEXT_BY_LANGUAGE, "the short text, per language (SMS, notices)", True),
    Field("sources", Kind.SOURCES, "the public pages it comes from", True),
    Field("reviewed", Kind.DATE, "the day a person checked it against its sources", True),
)
SMS_ALERT_CHARS = 160  # one GSM-7 segment: an alert's short text should fit one


def names(fields: tuple[Field, ...]) -> frozenset[str]:
    """The field names of a record."""
    return frozenset(f.name for f in fields)


def required(fields: tuple[Field, ...]) -> tuple[str, ...]:
    """The names of the fields a record must have."""
    return tuple(f.name for f in fields if f.required)


SERVICE_TEXT = tuple(f.name for f in SERVICE if f.kind is Kind.TEXT and f.name != "name")
