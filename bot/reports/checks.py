"""Warnings editors can act on before they push: things that load fine but serve people badly."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, timedelta

import phonenumbers
from phonenumbers import shortnumberinfo

from bot.channels.gsm import is_gsm, segments, to_gsm
from bot.content.model import REGION, Entry
from bot.content.yamlsource import Problem
from bot.library import Snapshot

STALE_AFTER = timedelta(days=180)  # an entry not re-read for half a year is due again
OLD_SOURCE = timedelta(days=3 * 365)  # a page this old is likely to have been overtaken
_NUMBER = re.compile(r"\+?(?:\(\d+\)\s*)?\d[\d .-]*\d")  # "(876) 922-9500", "+502 2416-1900"
_YEAR = re.compile(r"^(19|20)\d\d$")
_PHONE_SPLIT = re.compile(r"\s*(?:/|,|;|\bor\b|\bo\b|\bou\b|\boswa\b)\s*")


def phone_parses(phone: str, country: str) -> bool:
    """Whether every number in a phone field is a valid number or short code for `country`."""
    numbers = [p for p in _PHONE_SPLIT.split(phone) if p.strip()]
    if not numbers:
        return False
    for number in numbers:
        digits = re.sub(r"(?i)\s*(ext\.?|x)\s*\d+$", "", number)
        try:
            parsed = phonenumbers.parse(digits, country.upper())
        except phonenumbers.NumberParseException:
            return False
        region = country.upper()
        # Hotlines such as Haiti's 840 are missing from the short-code tables: a short code of
        # a possible length for the country counts; a long number must be fully valid.
        short = len(re.sub(r"\D", "", digits)) <= 6
        if phonenumbers.is_valid_number(parsed):
            continue
        if not (short and shortnumberinfo.is_possible_short_number_for_region(parsed, region)):
            return False
    return True


def content_warnings(
    snapshot: Snapshot, sms_budget: int, today: date | None = None
) -> list[Problem]:
    """Every quality warning of the base, as `path:line: warning: ...` problems.

    `sms_budget` is the deployment's SMS_MAX_SEGMENTS: an answer longer than that needs `sms`.
    """
    today = today or date.today()
    found: list[Problem] = []
    base = snapshot.base
    missing: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in base.entries:
        found.extend(_entry_warnings(entry, today, sms_budget))
        country = base.countries.get(entry.country or "")
        if country is None:
            continue
        for lang in country.languages:
            if lang not in entry.answer:
                missing[country.code, lang].append(entry)
    for (code, lang), entries in sorted(missing.items()):
        total = sum(1 for e in base.entries if e.country == code)
        first = entries[0]
        found.append(
            Problem(
                first.path,
                first.line,
                f"{code} offers '{lang}' but {len(entries)} of its {total} entries "
                f"have no {lang} answer (first: {first.id})",
                "warning",
            )
        )
    found.extend(_confusions(snapshot))
    return found


def _numbers(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each phone number or short code in a text: its digits and its runs of 3+ digits."""
    found = []
    for match in _NUMBER.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        runs = tuple(re.findall(r"\d{3,}", match.group()))
        # "ages 5-16" is no phone (no run of three digits); "2019" is a year.
        if runs and not _YEAR.match(digits):
            found.append((digits, runs))
    return found


def missing_numbers(short: str, full: str) -> list[str]:
    """Numbers of `short` that `full` never gives, however each writes them.

    "+502 2416-1900" and "2416-1900" are one number; so are "300-400" and "300 to 400".
    """
    given = {digits for digits, _runs in _numbers(full)}
    runs_given = set(re.findall(r"\d{3,}", full))
    missing = set()
    for digits, runs in _numbers(short):
        same = any(
            other == digits
            or (
                min(len(other), len(digits)) >= 7
                and (other.endswith(digits) or digits.endswith(other))
            )
            for other in given
        )
        if not same and not set(runs) <= runs_given:
            missing.add(digits)
    return sorted(missing)


def _entry_warnings(entry: Entry, today: date, sms_budget: int) -> list[Problem]:
    found = []

    def warn(message: str) -> None:
        found.append(Problem(entry.path, entry.line, f"{entry.id}: {message}", "warning"))

    for lang, answer in entry.answer.items():
        if lang not in entry.sms and segments(to_gsm(answer)) > sms_budget:
            warn(f"the {lang} answer is over {sms_budget} SMS segments and has no 'sms' text")
    for lang, text in entry.sms.items():
        shown = f"{entry.warning.get(lang, '')} {entry.answer.get(lang, '')}"  # the full reply
        for number in missing_numbers(text, shown):
            # Someone who reads the full answer must find every number the SMS gave.
            warn(f"sms.{lang} gives the number {number}, which the {lang} answer never gives")
    for lang, text in entry.sms.items():
        if not is_gsm(text):
            odd = "".join(sorted({ch for ch in text if not is_gsm(ch)}))
            warn(
                f"sms.{lang} has characters outside GSM-7 ({odd}): it will be sent "
                f"{'transliterated' if is_gsm(to_gsm(text)) else 'as costly UCS-2'}"
            )
    for service in entry.services:
        if service.phone and entry.country and not phone_parses(service.phone, entry.country):
            warn(
                f"service '{service.name}': phone '{service.phone}' does not parse for "
                f"{entry.country.upper()}"
            )
    if today - entry.reviewed > STALE_AFTER:
        warn(f"reviewed {entry.reviewed}, more than 180 days ago: re-read its sources")
    for source in entry.sources:
        if source.date is not None and today - source.date > OLD_SOURCE:
            warn(
                f"source {source.url} is from {source.date}, more than three years old: "
                "look for a newer page, or say the date in the answer"
            )
    return found


def _confusions(snapshot: Snapshot) -> list[Problem]:
    """Example questions that the matcher sends to another entry than their own."""
    found = []
    matcher = snapshot.matcher
    for entry in snapshot.base.entries:
        for lang, questions in entry.questions.items():
            for question in questions:
                # A region entry stands in where a country has none, so only another region
                # entry can take its questions; a country's own entry is meant to win there.
                match = matcher.match(question, entry.country or REGION, lang)
                other = match.entry
                if (
                    other is not None
                    and other.id != entry.id
                    and (entry.country is not None or other.country is None)
                ):
                    found.append(
                        Problem(
                            entry.path,
                            entry.line,
                            f"{entry.id}: the example question '{question}' is "
                            f"closer to {other.id}",
                            "warning",
                        )
                    )
    return found
