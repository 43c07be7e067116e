"""Moderators' opening hours: "mon-fri 08:00-17:00; ht=mon-sat 08:00-16:00", read once.

Each rule is days and a time range, in the user's country's own time zone (countries.yaml);
rules with `cc=` hold for that country only, the others for every country without its own.
No rule at all means people answer at any hour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT = "*"
_RULE = re.compile(
    r"^(?:(?P<cc>[a-z]{2})\s*=\s*)?(?P<days>[a-z,\-]+)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)


class HoursError(ValueError):
    """Opening hours that cannot be read; the message shows the rule and the form expected."""


@dataclass(frozen=True)
class Rule:
    """People answer on `days` (0 = Monday) from `start` to `end`, in minutes of the day."""

    days: frozenset[int]
    start: int
    end: int

    def describe(self) -> str:
        """The rule as written, e.g. 'mon-fri 08:00-17:00'."""
        ordered = sorted(self.days)
        runs: list[str] = []
        i = 0
        while i < len(ordered):
            j = i
            while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
                j += 1
            first, last = DAYS[ordered[i]], DAYS[ordered[j]]
            runs.append(first if i == j else f"{first}-{last}")
            i = j + 1
        return f"{','.join(runs)} {_clock(self.start)}-{_clock(self.end)}"


@dataclass(frozen=True)
class Hours:
    """Rules by country code, DEFAULT for the rest."""

    rules: dict[str, tuple[Rule, ...]]

    def for_country(self, country: str | None) -> tuple[Rule, ...]:
        """The rules that hold for `country`."""
        return self.rules.get(country or "", self.rules.get(DEFAULT, ()))

    def open_at(self, country: str | None, timezone: str | None, at: float) -> bool:
        """Whether people answer at the epoch time `at` for a user in `country`."""
        rules = self.for_country(country)
        if not rules:
            return True
        try:
            zone = ZoneInfo(timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        local = datetime.fromtimestamp(at, zone)
        minute = local.hour * 60 + local.minute
        return any(local.weekday() in r.days and r.start <= minute < r.end for r in rules)


def parse_hours(text: str) -> Hours:
    """Read HANDOVER_HOURS; raise HoursError naming the rule that is wrong."""
    rules: dict[str, list[Rule]] = {}
    for raw in text.split(";"):
        part = raw.strip().lower()
        if not part:
            continue
        found = _RULE.match(part)
        if found is None:
            raise HoursError(f"cannot read '{raw.strip()}': write it like 'mon-fri 08:00-17:00'")
        start, end = _minutes(found["start"], raw), _minutes(found["end"], raw)
        if end <= start:
            raise HoursError(f"'{raw.strip()}' ends before it starts")
        rule = Rule(_days(found["days"], raw), start, end)
        rules.setdefault(found["cc"] or DEFAULT, []).append(rule)
    return Hours({cc: tuple(r) for cc, r in rules.items()})


def _days(spec: str, raw: str) -> frozenset[int]:
    days: set[int] = set()
    for piece in spec.split(","):
        first, _, last = piece.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise HoursError(f"'{raw.strip()}': days are {', '.join(DAYS)}, like mon-fri")
        a, b = DAYS.index(first), DAYS.index(last or first)
        days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(days)


def _minutes(clock: str, raw: str) -> int:
    hours, minutes = (int(x) for x in clock.split(":"))
    if hours > 24 or minutes > 59 or hours * 60 + minutes > 24 * 60:
        raise HoursError(f"'{raw.strip()}': {clock} is not a time of day")
    return hours * 60 + minutes


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
