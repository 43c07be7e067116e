"""`puente report eval`: top-1, top-3, abstentions and false answers on a labelled file."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.library import build_snapshot
from bot.reports.evaluate import Case, Outcome, Summary, evaluate, per_tag, read_cases


def twin_clinic(root: Path) -> None:
    """A second clinic entry, word for word the first: the two tie, so one is the answer and
    the other an alternative (or both alternatives, if the matcher declines to choose)."""
    path = root / "tt" / "health.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    twin = copy.deepcopy(data["entries"][0])
    assert twin["id"] == "mini-tt-clinic"
    twin["id"] = "mini-tt-clinic-twin"
    data["entries"].append(twin)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


LINES = [
    {"text": "i lost my passport", "country": "tt", "lang": "en", "expect": "mini-tt-passport",
     "tags": ["short"]},
    {"text": "me robaron el pasaporte", "country": "tt", "lang": "es", "expect": "mini-tt-passport",
     "tags": ["lang-es"]},
    {"text": "is there a free clinic", "country": "tt", "lang": "en",
     "expect": "mini-tt-clinic-twin", "tags": ["short", "twin"]},
    {"text": "how do i buy a car", "country": "tt", "lang": "en", "expect": None,
     "tags": ["out-of-scope"]},
    {"text": "passport photo booth prices", "country": "tt", "lang": "en", "expect": None,
     "tags": ["out-of-scope"]},
    {"text": "i had an accident", "country": "tt", "lang": "en", "expect": "mini-tt-passport"},
]  # fmt: skip


def write_cases(path: Path) -> Path:
    text = "\n".join(json.dumps(line) for line in LINES)
    path.write_text(text + '\nnot json\n\n{"text": "no label"}\n', encoding="utf-8")
    return path


def test_numbers(mini: Path, tmp_path: Path) -> None:
    twin_clinic(mini)
    cases, bad = read_cases(write_cases(tmp_path / "cases.jsonl"))
    assert len(cases) == 6
    assert [b.split(": ", 1)[0] for b in bad] == [
        f"{tmp_path}/cases.jsonl:7",
        f"{tmp_path}/cases.jsonl:9",
    ]
    outcomes = evaluate(build_snapshot(mini).matcher, cases)
    assert [o.right for o in outcomes] == [True, True, False, True, False, False]
    summary = Summary.of(outcomes)
    assert summary == Summary(
        lines=6,
        in_scope=4,
        top1=2,
        top3=3,  # the twin is offered next to its double
        wrong_entry=summary.wrong_entry,
        out_of_scope=2,
        abstained=1,
        false_answers=1,
    )
    assert summary.wrong_entry in {1, 2}  # the twin case is a wrong entry or an honest doubt
    assert per_tag(outcomes) == {
        "lang-es": (1, 1),
        "out-of-scope": (1, 2),
        "short": (1, 2),
        "twin": (0, 1),
    }


def test_top_three_counts_the_answer_and_the_first_alternatives() -> None:
    case = Case(1, "x", None, None, "c")
    assert Outcome(case, "a", 50, ("a", "b", "c", "d")).in_top
    assert not Outcome(case, "a", 50, ("a", "b", "d", "c")).in_top
    assert Outcome(case, None, 20, ("b", "c", "d")).in_top
    assert not Outcome(Case(1, "x", None, None, None), None, 0, ()).in_top


def test_report_lists_failures_and_exits_zero(
    mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twin_clinic(mini)
    cases = write_cases(tmp_path / "cases.jsonl")
    assert main(["report", "eval", str(cases), "--knowledge", str(mini)]) == 0
    out = capsys.readouterr().out
    flat = " ".join(out.split())
    assert "6 messages from" in flat and "3 right (50.0%)" in flat
    rows = {line.split("  ")[0]: line.split() for line in out.splitlines()}
    assert rows["top-1: the expected entry answered"][-3:] == ["2", "4", "50.0%"]
    assert rows["top-3: expected among the first three"][-3:] == ["3", "4", "75.0%"]
    assert rows["out of scope, rightly not answered"][-3:] == ["1", "2", "50.0%"]
    assert rows["out of scope, yet answered"][-3:] == ["1", "2", "50.0%"]
    assert "Failures (3)" in out
    failures = out[out.index("Failures (3)") :]
    assert "passport photo booth prices" in failures and "(not sure)" in failures
    assert "i had an accident" in failures and "mini-tt-emergency" in failures
    assert "cases.jsonl:7: " in out and '"expect" must be an entry id or null' in flat


def test_unknown_expected_ids_are_named(
    mini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "typo.jsonl"
    path.write_text(json.dumps({"text": "passport", "expect": "mini-tt-pasport"}) + "\n")
    assert main(["report", "eval", str(path), "--knowledge", str(mini)]) == 0
    assert "expected id 'mini-tt-pasport' is not in the base" in capsys.readouterr().out


def test_missing_file_or_argument(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "eval", "--knowledge", str(mini)]) == 2
    assert main(["report", "eval", str(mini / "nope.jsonl"), "--knowledge", str(mini)]) == 2
    assert "cannot read" in capsys.readouterr().err
