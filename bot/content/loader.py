"""Read a knowledge folder into a KnowledgeBase, reporting every problem with its file and line.

Bad content never takes the bot down: an entry with an error is left out and reported, and
the rest of the base is still served.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.content import format as fmt
from bot.content.model import REGION, TOPICS, Country, Entry, KnowledgeBase, Service, Source
from bot.content.yamlsource import Problem, YamlError, line_of, load_yaml

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,57}$")  # fits Telegram's 64-byte buttons
_HOUSE_ID = re.compile(fmt.HOUSE_ID_PATTERN)
_LANG = re.compile(fmt.LANG_PATTERN)
_COUNTRY = re.compile(r"^[a-z]{2}$")
_ENTRY_FIELDS = fmt.names(fmt.ENTRY)
NO_SOURCES = "no-sources"  # the code of an entry refused for having no sources
_SERVICE_FIELDS = fmt.names(fmt.SERVICE)


class Report:
    """Collects problems for one file."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        self.errors = 0

    def error(self, line: int, message: str, code: str = "") -> None:
        self.errors += 1
        self.problems.append(Problem(self.path, line, message, code=code))

    def warn(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message, "warning"))


def load_knowledge(root: Path) -> tuple[KnowledgeBase, list[Problem]]:
    """Load every file under `root`; return the base of all valid entries and all problems."""
    problems: list[Problem] = []
    digest = hashlib.sha256()
    countries = _load_countries(root, problems, digest)
    entries: list[Entry] = []
    seen: dict[str, str] = {}
    for path in _topic_files(root):
        shown = _shown(path, root)
        digest.update(shown.encode() + b"\0" + path.read_bytes())
        folder = path.relative_to(root).parts[0]
        report = Report(shown, problems)
        if folder != REGION and (not _COUNTRY.match(folder) or folder not in countries):
            report.error(
                1,
                f"unknown country folder '{folder}': add it to countries.yaml "
                "(ISO 3166-1 alpha-2, lower case) or move the file",
            )
            continue
        country = None if folder == REGION else folder
        entries.extend(_load_topic_file(path, shown, country, report, seen))
    from bot.content.alerts import alert_files, load_alerts

    for path in alert_files(root):
        digest.update(_shown(path, root).encode() + b"\0" + path.read_bytes())
    alerts = load_alerts(root, countries, problems, lambda path: _shown(path, root))
    base = KnowledgeBase(countries, tuple(entries), digest.hexdigest()[:12], alerts)
    return base, problems


def _shown(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent)) if root.name else str(path)
    except ValueError:
        return str(path)


def _topic_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.y*ml")):
        parts = path.relative_to(root).parts
        if path.suffix in {".yaml", ".yml"} and len(parts) >= 2 and parts[0] != "alerts":
            yield path


def _load_countries(root: Path, problems: list[Problem], digest: Any) -> dict[str, Country]:
    path = root / "countries.yaml"
    shown = _shown(path, root)
    if not path.exists():
        problems.append(Problem(shown, 1, "countries.yaml is missing"))
        return {}
    digest.update(path.read_bytes())
    report = Report(shown, problems)
    try:
        data = load_yaml(path, shown)
    except YamlError as exc:
        problems.append(exc.problem)
        return {}
    table = data.get("countries") if isinstance(data, dict) else None
    if not isinstance(table, dict):
        report.error(line_of(data), "expected 'countries:' with one block per country code")
        return {}
    countries: dict[str, Country] = {}
    for code, block in table.items():
        line = line_of(table, code)
        if not isinstance(code, str) or not _COUNTRY.match(code):
            report.error(line, f"'{code}' is not an ISO 3166-1 alpha-2 code in lower case")
            continue
        country = _country(code, block, line, report)
        if country is not None:
            countries[code] = country
    return countries


def _country(code: str, block: Any, line: int, report: Report) -> Country | None:
    if not isinstance(block, dict):
        report.error(line, f"country '{code}' must be a mapping")
        return None
    # Problems here are reported, but the country is still built from what is usable: one
    # bad field must not orphan every entry in the country's folder.
    names = text_map(block, "names", report, required=True)
    languages = tuple(_lang_list(block, "languages", report))
    if not languages:
        report.error(line_of(block, "languages"), f"country '{code}' needs 'languages'")
    emergency = block.get("emergency") or {}
    if not isinstance(emergency, dict) or not all(
        isinstance(v, str | int) for v in emergency.values()
    ):
        report.error(line_of(block, "emergency"), "emergency: expected {service: number}")
        emergency = {}
    timezone = block.get("timezone")
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        message = (
            f"unknown time zone '{timezone}'"
            if timezone is not None
            else "'timezone' is missing: an IANA name such as America/Port_of_Spain"
        )
        report.error(line_of(block, "timezone"), message)
        timezone = "UTC"
    aliases = block.get("aliases") or []
    if not isinstance(aliases, list):
        report.error(line_of(block, "aliases"), "aliases: expected a list")
        aliases = []
    sources = read_sources(block, report, required=False)
    reviewed = date_field(block, report, required=False)
    return Country(
        code,
        names,
        languages,
        {str(k): str(v) for k, v in emergency.items()},
        str(timezone),
        tuple(str(a) for a in aliases),
        sources,
        reviewed,
    )


def _load_topic_file(
    path: Path, shown: str, country: str | None, report: Report, seen: dict[str, str]
) -> list[Entry]:
    try:
        data = load_yaml(path, shown)
    except YamlError as exc:
        report.errors += 1
        report.problems.append(exc.problem)
        return []
    if not isinstance(data, dict):
        report.error(line_of(data), "expected a mapping with 'topic' and 'entries'")
        return []
    topic = data.get("topic")
    if topic not in TOPICS:
        report.error(
            line_of(data, "topic"), f"unknown topic '{topic}': use one of {', '.join(TOPICS)}"
        )
        return []
    items = data.get("entries")
    if not isinstance(items, list):
        report.error(line_of(data, "entries"), "expected 'entries:' with a list of entries")
        return []
    entries = []
    for index, item in enumerate(items):
        entry = _entry(item, str(topic), country, line_of(items, index), report, seen)
        if entry is not None:
            entries.append(entry)
    return entries


def _entry(
    item: Any, topic: str, country: str | None, line: int, report: Report, seen: dict[str, str]
) -> Entry | None:
    if not isinstance(item, dict):
        report.error(line, "each entry must be a mapping starting with 'id:'")
        return None
    before = report.errors
    entry_id = item.get("id")
    id_line = line_of(item, "id")
    if not isinstance(entry_id, str) or not _ID.match(entry_id):
        report.error(
            id_line,
            f"entry id '{entry_id}' must be letters, digits, dots, dashes or "
            "underscores, at most 58 characters",
        )
    elif entry_id in seen:
        report.error(id_line, f"duplicate id '{entry_id}' (first at {seen[entry_id]})")
    else:
        seen[entry_id] = f"{report.path}:{id_line}"
        if not _HOUSE_ID.match(entry_id):
            report.warn(
                id_line,
                f"entry id '{entry_id}': the custom is lower-case letters, digits and dashes",
            )
    for key in item:
        if key not in _ENTRY_FIELDS:
            report.warn(line_of(item, key), f"unknown field '{key}' (a typo?)")
    title = text_map(item, "title", report, required=True)
    answer = text_map(item, "answer", report, required=True)
    questions = _list_map(item, "questions", report)
    if not questions:
        report.warn(line_of(item, "questions"), f"entry '{entry_id}' has no example questions")
    keywords = _list_map(item, "keywords", report)
    sms = text_map(item, "sms", report)
    warning = text_map(item, "warning", report)
    services = _services(item, report)
    sources = read_sources(item, report, required=True)
    reviewed = date_field(item, report, required=True)
    unreviewed = frozenset(_lang_list(item, "unreviewed", report))
    if report.errors > before or reviewed is None:
        return None
    return Entry(
        str(entry_id),
        topic,
        country,
        title,
        questions,
        answer,
        sources,
        reviewed,
        keywords,
        sms,
        warning,
        services,
        unreviewed,
        report.path,
        line,
    )


def text_map(
    block: dict[str, Any], key: str, report: Report, required: bool = False
) -> dict[str, str]:
    value = block.get(key)
    line = line_of(block, key)
    if value is None:
        if required:
            report.error(line_of(block), f"'{key}' is missing: give it in at least one language")
        return {}
    if not isinstance(value, dict):
        report.error(line, f"'{key}' must map languages to text, like {{en: ..., es: ...}}")
        return {}
    result = {}
    for lang, text in value.items():
        if not _valid_lang(lang, value, report):
            continue
        if not isinstance(text, str) or not text.strip():
            report.error(line_of(value, lang), f"'{key}.{lang}' must be non-empty text")
            continue
        result[str(lang)] = text.strip()
    if required and not result and value:
        report.error(line, f"'{key}' has no usable text in any language")
    return result


def _list_map(block: dict[str, Any], key: str, report: Report) -> dict[str, tuple[str, ...]]:
    value = block.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        report.error(line_of(block, key), f"'{key}' must map languages to lists of text")
        return {}
    result = {}
    for lang, items in value.items():
        if not _valid_lang(lang, value, report):
            continue
        if isinstance(items, str):
            items = [items]
        if not isinstance(items, list) or not all(isinstance(i, str | int) for i in items):
            report.error(line_of(value, lang), f"'{key}.{lang}' must be a list of text")
            continue
        result[str(lang)] = tuple(str(i).strip() for i in items if str(i).strip())
    return result


def _valid_lang(lang: Any, container: Any, report: Report) -> bool:
    if isinstance(lang, str) and _LANG.match(lang):
        return True
    report.error(line_of(container, lang), f"'{lang}' is not a language tag (en, es, fr, ht...)")
    return False


def _lang_list(block: dict[str, Any], key: str, report: Report) -> list[str]:
    value = block.get(key) or []
    if not isinstance(value, list):
        report.error(line_of(block, key), f"'{key}' must be a list of language tags")
        return []
    result = []
    for index, lang in enumerate(value):
        if isinstance(lang, str) and _LANG.match(lang):
            result.append(lang)
        else:
            report.error(line_of(value, index), f"'{lang}' is not a language tag (en, es, fr...)")
    return result


def read_sources(block: dict[str, Any], report: Report, required: bool) -> tuple[Source, ...]:
    value = block.get("sources")
    if not value:
        if required:
            report.error(
                line_of(block, "sources"),
                "'sources' is missing: every fact needs the public page it came from",
                code=NO_SOURCES,
            )
        return ()
    if not isinstance(value, list):
        report.error(line_of(block, "sources"), "'sources' must be a list of URLs")
        return ()
    result = []
    for index, item in enumerate(value):
        line = line_of(value, index)
        url, when = (item.get("url"), item.get("date")) if isinstance(item, dict) else (item, None)
        if not _valid_url(url):
            report.error(line, f"malformed source URL '{url}'")
            continue
        if when is not None and not isinstance(when, date):
            report.error(line, f"source date '{when}' must be YYYY-MM-DD")
            when = None
        result.append(Source(str(url), when))
    return tuple(result)


def _valid_url(url: Any) -> bool:
    if not isinstance(url, str) or any(ch.isspace() for ch in url):
        return False
    parsed = urlparse(url)
    return parsed.scheme in {"http", "https"} and "." in parsed.netloc


def date_field(
    block: dict[str, Any], report: Report, required: bool, key: str = "reviewed"
) -> date | None:
    value = block.get(key)
    if value is None:
        if required:
            report.error(line_of(block), f"'{key}' is missing: the date the facts were checked")
        return None
    if not isinstance(value, date):
        report.error(line_of(block, key), f"bad date '{value}': write it as YYYY-MM-DD")
        return None
    if value > date.today():
        report.error(line_of(block, key), f"'{key}' date {value} is in the future")
        return None
    return value


def _services(block: dict[str, Any], report: Report) -> tuple[Service, ...]:
    value = block.get("services") or []
    if not isinstance(value, list):
        report.error(line_of(block, "services"), "'services' must be a list")
        return ()
    result = []
    for index, item in enumerate(value):
        line = line_of(value, index)
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            report.error(line, "each service needs at least a 'name'")
            continue
        stray = [k for k in item if k not in _SERVICE_FIELDS]
        if any(item[k] is None for k in stray):
            # `{name: A, B}` is read as two keys: the name was cut at the comma.
            report.error(
                line,
                f"service '{item['name']}' is followed by '{stray[0]}': a value with a comma "
                'must be in quotes, e.g. name: "Ministry of Labour, Kingston"',
            )
            continue
        for key in stray:
            report.warn(line_of(item, key), f"unknown service field '{key}' (a typo?)")
        if item.get("url") is not None and not _valid_url(item.get("url")):
            report.error(line_of(item, "url"), f"malformed URL '{item.get('url')}'")
            continue
        lat, lon = item.get("lat"), item.get("lon")
        if (lat is None) != (lon is None) or (lat is not None and not _coordinates(lat, lon)):
            report.error(
                line_of(item, "lat"),
                f"bad coordinates lat={lat} lon={lon}: give both, as decimal degrees",
            )
            continue
        before = report.errors
        as_of = date_field(item, report, required=False, key="as_of")
        if report.errors > before:
            continue
        texts = {k: str(item[k]) for k in fmt.SERVICE_TEXT if item.get(k) is not None}
        langs = tuple(str(v) for v in item.get("languages") or [])
        result.append(
            Service(
                name=item["name"],
                url=item.get("url"),
                lat=lat,
                lon=lon,
                languages=langs,
                as_of=as_of,
                **texts,
            )
        )
    return tuple(result)


def _coordinates(lat: Any, lon: Any) -> bool:
    numbers = isinstance(lat, int | float) and isinstance(lon, int | float)
    return numbers and -90 <= lat <= 90 and -180 <= lon <= 180
