"""Accuracy on realistic messages, per tag, on two bases: the shipped one and an independent
fixture written before any tuning on it (tests/data/fixture). Floors are set from measurement.

Run `pytest tests/matching/test_accuracy.py -s` to see the table.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from bot.library import Snapshot, build_snapshot
from tests.conftest import DATA, ROOT

REPORTS: list[str] = []  # shown at the end of every run by tests/conftest.py


@dataclass
class Score:
    right: int = 0
    total: int = 0

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0


def evaluate(snapshot: Snapshot, lines: list[dict[str, object]]) -> dict[str, Score]:
    """Top-1 accuracy overall and per tag; an expected null counts right only on abstention."""
    scores: dict[str, Score] = defaultdict(Score)
    failures = []
    for item in lines:
        match = snapshot.matcher.match(
            str(item["text"]),
            item.get("country") or None,  # type: ignore[arg-type]
            item.get("lang") or None,
        )  # type: ignore[arg-type]
        got = match.entry.id if match.entry else None
        right = got == item["expect"]
        tags = ["all", *item.get("tags", [])]  # type: ignore[misc]
        for tag in tags:
            scores[tag].total += 1
            scores[tag].right += right
        if not right:
            failures.append(f"  {item['expect']} <- {got} ({match.score}): {item['text']!s:.90}")
    REPORTS.append(
        "\n".join(
            f"  {tag:16} {s.share:6.1%}  ({s.right}/{s.total})"
            for tag, s in sorted(scores.items(), key=lambda kv: -kv[1].total)
        )
    )
    table = "\n".join(
        f"  {tag:16} {s.share:6.1%}  ({s.right}/{s.total})"
        for tag, s in sorted(scores.items(), key=lambda kv: -kv[1].total)
    )
    print(f"\n{table}\nfailures:\n" + "\n".join(failures))
    return scores


def read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def shipped_messages() -> list[dict[str, object]]:
    return [item for path in sorted((DATA / "shipped").glob("*.jsonl")) for item in read(path)]


# Floors: a little under what was measured when they were set (see README, "Measured"), so a
# change that makes matching worse fails here.
# Measured 2026-11-23: fixture 92.9%; shipped base (502 messages over 11 countries and the
# region) 88.6%, other-language 81.9%, English 83.5%, Kreyòl 89.2%, out of scope 78.7%,
# long stories 74.1%.
FIXTURE_FLOORS = {
    "all": 0.85,
    "other-language": 0.85,
    "out-of-scope": 0.9,
    "noaccent": 0.75,
    "shorthand": 0.8,
    "lang-ht": 0.9,
    "lang-fr": 0.85,
    "lang-es": 0.75,
    "lang-en": 0.8,
    "long": 0.6,
}
SHIPPED_FLOORS = {
    "all": 0.85,
    "other-language": 0.77,
    "out-of-scope": 0.72,
    "lang-en": 0.8,
    "lang-es": 0.88,
    "lang-ht": 0.85,
    "lang-fr": 0.70,  # 19 of 27 with 12 more countries and Portuguese region entries (0.81 before)
    "long": 0.65,
    "other-country": 0.66,  # 22 of 32: a country only named now moves the question less (0.81)
    "origin-not-destination": 0.85,
}
# The held-out set was written by someone who saw only the entries' titles and answers, never
# the example questions, the matcher or its results; nothing was tuned on it. Measured
# 2026-11-23: 82.5% (top-3 92.4%), other-language 76.4%, out of scope 12/16.
HELDOUT_FLOORS = {"all": 0.78, "other-language": 0.7, "out-of-scope": 0.68, "lang-ht": 0.75}


def check(scores: dict[str, Score], floors: dict[str, float]) -> None:
    low = {
        tag: round(scores[tag].share, 3)
        for tag, floor in floors.items()
        if scores[tag].share < floor
    }
    assert not low, f"below the floor: {low}"


def test_fixture_base_held_out_messages() -> None:
    snapshot = build_snapshot(DATA / "fixture" / "knowledge")
    assert not snapshot.errors
    lines = read(DATA / "fixture" / "messages.jsonl")
    assert len(lines) >= 150
    REPORTS.append("fixture base (tests/data/fixture):")
    check(evaluate(snapshot, lines), FIXTURE_FLOORS)


def test_shipped_base_messages() -> None:
    lines = shipped_messages()
    assert len(lines) >= 300, "the shipped base needs its 300+ test messages"
    snapshot = build_snapshot(ROOT / "knowledge")
    REPORTS.append("shipped base (knowledge/, tests/data/shipped):")
    check(evaluate(snapshot, lines), SHIPPED_FLOORS)


def test_shipped_base_held_out_messages() -> None:
    lines = read(DATA / "heldout" / "messages.jsonl")
    assert len(lines) >= 150
    snapshot = build_snapshot(ROOT / "knowledge")
    REPORTS.append("shipped base, held-out messages (tests/data/heldout):")
    check(evaluate(snapshot, lines), HELDOUT_FLOORS)


# Written 2026-12-03 from titles and answers only, then used for development (tuned on).
WRITTEN_FLOORS = {"all": 0.84, "long": 0.79, "other-language": 0.80, "out-of-scope": 0.83}


def test_shipped_base_written_development_messages() -> None:
    lines = read(DATA / "dev" / "written.jsonl")
    assert len(lines) >= 400
    snapshot = build_snapshot(ROOT / "knowledge")
    REPORTS.append("shipped base, written development set (tests/data/dev/written.jsonl):")
    check(evaluate(snapshot, lines), WRITTEN_FLOORS)


# The frozen blind sets of tests/data/blind (README "Measured", hashes there): written from the
# entries' titles and answers alone, never tuned on. Floors just under the figures measured
# at the end of the 2026-12-03 afternoon session, so a change that loses ground on unseen
# messages fails here.
BLIND_FLOORS = {
    "shipped": {"all": 0.85, "out-of-scope": 0.83, "other-language": 0.79, "long": 0.76},
    "bs": {"all": 0.82},
    "pa": {"all": 0.83},
    "sr": {"all": 0.77},
    "cw": {"all": 0.83},
    "aw": {"all": 0.93},
    "ag": {"all": 0.85},
    "kn": {"all": 0.89},
    "gd": {"all": 0.78},
    "dm": {"all": 0.73},
    "lc": {"all": 0.77},
    "vc": {"all": 0.80},
    "bb": {"all": 0.87},
}


def test_blind_sets_of_the_shipped_base() -> None:
    snapshot = build_snapshot(ROOT / "knowledge")
    for name, floors in BLIND_FLOORS.items():
        lines = read(DATA / "blind" / f"{name}.jsonl")
        REPORTS.append(f"shipped base, blind set {name}:")
        check(evaluate(snapshot, lines), floors)


def test_blind_set_of_the_invented_base() -> None:
    snapshot = build_snapshot(DATA / "invented" / "knowledge")
    lines = read(DATA / "blind" / "invented.jsonl")
    assert len(lines) >= 200
    REPORTS.append("invented base, blind set (tests/data/blind/invented.jsonl):")
    check(
        evaluate(snapshot, lines),
        {"all": 0.79, "out-of-scope": 0.61, "long": 0.66, "other-language": 0.69, "lang-nl": 0.77},
    )
