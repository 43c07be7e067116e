"""Moderators' opening hours, in the user's country's own time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.hours import parse_hours


def at(text: str, zone: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone)).timestamp()


def test_weekday_office_hours_in_the_country_s_time() -> None:
    hours = parse_hours("mon-fri 08:00-17:00; ht=mon-sat 09:00-13:00")
    tt = "America/Port_of_Spain"
    assert hours.open_at("tt", tt, at("2026-12-07 08:00", tt))  # a Monday
    assert not hours.open_at("tt", tt, at("2026-12-07 17:00", tt))
    assert not hours.open_at("tt", tt, at("2026-12-05 10:00", tt))  # a Saturday
    ht = "America/Port-au-Prince"
    assert hours.open_at("ht", ht, at("2026-12-05 10:00", ht))
    assert not hours.open_at("ht", ht, at("2026-12-07 14:00", ht))
    assert hours.for_country("ht")[0].describe() == "mon-sat 09:00-13:00"


def test_no_rules_means_always_open() -> None:
    assert parse_hours("").open_at("tt", "America/Port_of_Spain", 0.0)
