"""What the knowledge base is made of, once read: small frozen values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

TOPICS = (
    "health",
    "education",
    "certification",
    "reintegration",
    "emergency",
    "documents",
    "work",
)
REGION = "region"


@dataclass(frozen=True)
class Source:
    """A public page a fact came from, with the page's own date when it shows one."""

    url: str
    date: date | None = None


@dataclass(frozen=True)
class Service:
    """A place that gives the help an entry describes; only the name is required."""

    name: str
    phone: str | None = None
    address: str | None = None
    hours: str | None = None
    url: str | None = None
    email: str | None = None
    lat: float | None = None
    lon: float | None = None
    cost: str | None = None
    eligibility: str | None = None
    documents: str | None = None
    languages: tuple[str, ...] = ()
    as_of: date | None = None  # the date of the page its contact details come from


@dataclass(frozen=True)
class Entry:
    """One answer of the base, in the languages it was written in."""

    id: str
    topic: str
    country: str | None  # None for region entries, which hold everywhere
    title: Mapping[str, str]
    questions: Mapping[str, tuple[str, ...]]
    answer: Mapping[str, str]
    sources: tuple[Source, ...]
    reviewed: date
    keywords: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sms: Mapping[str, str] = field(default_factory=dict)
    warning: Mapping[str, str] = field(default_factory=dict)
    services: tuple[Service, ...] = ()
    unreviewed: frozenset[str] = frozenset()
    path: str = ""
    line: int = 0

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages the answer is written in."""
        return tuple(self.answer)


@dataclass(frozen=True)
class Country:
    """A country the base has content for."""

    code: str
    names: Mapping[str, str]
    languages: tuple[str, ...]
    emergency: Mapping[str, str]
    timezone: str
    aliases: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    reviewed: date | None = None

    def name(self, lang: str) -> str:
        """The country's name in `lang`, or the first name known."""
        return (
            self.names.get(lang)
            or self.names.get("en")
            or next(iter(self.names.values()), self.code.upper())
        )


@dataclass(frozen=True)
class Alert:
    """Something that changed overnight, sent to a country's subscribers while it is true."""

    id: str
    countries: frozenset[str]  # country codes; REGION means every country
    topics: frozenset[str]  # empty: it concerns every subscriber of its countries
    severity: str
    starts: datetime  # aware
    expires: datetime  # aware
    text: Mapping[str, str]
    sms: Mapping[str, str]
    sources: tuple[Source, ...]
    reviewed: date
    path: str = ""
    line: int = 0

    def live(self, now: float) -> bool:
        """Whether it has started and not yet expired at `now` (seconds since the epoch)."""
        return self.starts.timestamp() <= now < self.expires.timestamp()

    def concerns(self, country: str | None, topic: str | None = None) -> bool:
        """Whether a subscriber of `country` (and `topic`, if they chose one) should get it."""
        if country is None or not (REGION in self.countries or country in self.countries):
            return False
        return topic is None or not self.topics or topic in self.topics

    def in_language(self, lang: str, short: bool = False) -> tuple[str, str]:
        """The text (or short text) in `lang`, else in its first language; and that language."""
        texts = self.sms if short else self.text
        if lang in texts:
            return texts[lang], lang
        first = next(iter(texts))
        return texts[first], first


@dataclass(frozen=True)
class KnowledgeBase:
    """The whole base: countries and entries, with the version editors see in /healthz."""

    countries: Mapping[str, Country]
    entries: tuple[Entry, ...]
    version: str
    alerts: tuple[Alert, ...] = ()

    def entry(self, entry_id: str) -> Entry | None:
        """The entry with this id, if any."""
        return self._by_id.get(entry_id)

    @property
    def _by_id(self) -> dict[str, Entry]:
        cached: dict[str, Entry] | None = self.__dict__.get("_by_id_cache")
        if cached is None:
            cached = {entry.id: entry for entry in self.entries}
            object.__setattr__(self, "_by_id_cache", cached)
        return cached
