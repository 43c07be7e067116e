"""Leave-one-out: every example question is matched by a matcher that never saw it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.library import build_snapshot
from bot.matching import Matcher
from bot.reports.confusion import fold_count, folds, leave_one_out
from tests.conftest import DATA

MISLEADING = "where can i see a free doctor at the clinic"


def ask_passport(root: Path, question: str = MISLEADING) -> None:
    """Give the passport entry one more example question."""
    path = root / "tt" / "documents.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["entries"][0]["questions"]["en"].append(question)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_every_question_is_held_out_exactly_once_and_absent_from_its_fold() -> None:
    snapshot = build_snapshot(DATA / "fixture" / "knowledge")
    base = snapshot.base
    count = fold_count(base)
    assert count == max(sum(map(len, e.questions.values())) for e in base.entries)
    held_out: Counter[tuple[int, str, int]] = Counter()
    for without, held in folds(base, count):
        for number, lang, position in held:
            held_out[number, lang, position] += 1
            question = base.entries[number].questions[lang][position]
            assert question not in without.entries[number].questions[lang]
        kept = sum(len(qs) for e in without.entries for qs in e.questions.values())
        assert kept + len(held) == sum(len(qs) for e in base.entries for qs in e.questions.values())
    every = {
        (n, lang, p)
        for n, e in enumerate(base.entries)
        for lang, qs in e.questions.items()
        for p in range(len(qs))
    }
    assert set(held_out) == every and set(held_out.values()) == {1}


def test_an_entry_never_has_more_than_one_question_out_when_folds_suffice() -> None:
    base = build_snapshot(DATA / "mini").base
    for without, held in folds(base, fold_count(base)):
        assert len(held) == len({number for number, _, _ in held})
        assert len(without.entries) == len(base.entries)


def test_the_mini_base_finds_every_entry() -> None:
    snapshot = build_snapshot(DATA / "mini")
    confusion = leave_one_out(snapshot.base, snapshot.locales)
    assert len(confusion.trials) == 22
    assert confusion.pairs() == []
    assert confusion.accuracy("country") == {"region": (4, 0, 0), "tt": (18, 0, 0)}
    assert confusion.accuracy("lang") == {"en": (11, 0, 0), "es": (10, 0, 0), "fr": (1, 0, 0)}


def test_a_misleading_example_question_is_reported_as_a_pair(mini: Path) -> None:
    ask_passport(mini)
    snapshot = build_snapshot(mini)
    confusion = leave_one_out(snapshot.base, snapshot.locales)
    pairs = dict(confusion.pairs())
    trials = pairs[("mini-tt-passport", "mini-tt-clinic")]
    assert [(t.lang, t.question) for t in trials] == [("en", MISLEADING)]
    assert confusion.accuracy("country")["tt"] == (18, 1, 0)


def test_a_question_is_never_matched_by_an_index_that_holds_it(mini: Path) -> None:
    # Only this question has these words: the full index finds its entry by them, a held-out
    # test must not.
    ask_passport(mini, "zorblax quintuple")
    snapshot = build_snapshot(mini)
    found = snapshot.matcher.match("zorblax quintuple", "tt", "en").entry
    assert found is not None and found.id == "mini-tt-passport"
    confusion = leave_one_out(snapshot.base, snapshot.locales)
    assert [t.question for t in dict(confusion.pairs())[("mini-tt-passport", None)]] == [
        "zorblax quintuple"
    ]


def test_report_text(mini: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ask_passport(mini)
    assert main(["report", "confusion", "--knowledge", str(mini)]) == 0
    out = capsys.readouterr().out
    assert "23 example questions, each matched by a matcher built without it" in out.replace(
        "\n", " "
    )
    assert "1× mini-tt-passport → mini-tt-clinic" in out
    assert f"- [en] {MISLEADING} (score " in out
    country_rows = [line.split() for line in out.splitlines() if line.startswith(("tt ", "region"))]
    assert ["tt", "19", "18", "1", "0", "94.7%"] in country_rows


def test_matchers_built_per_fold_agree_with_a_full_rebuild_for_a_question_left_out() -> None:
    # The folds are real bases: a matcher built on one is the matcher the bot would build.
    snapshot = build_snapshot(DATA / "mini")
    without, held = next(folds(snapshot.base, fold_count(snapshot.base)))
    number, lang, position = held[0]
    entry = snapshot.base.entries[number]
    question = entry.questions[lang][position]
    assert Matcher(without, snapshot.locales).match(question, entry.country, lang).entry is not None


def test_a_base_without_questions(tmp_path: Path) -> None:
    snapshot = build_snapshot(tmp_path)
    confusion = leave_one_out(snapshot.base, snapshot.locales)
    assert confusion.trials == () and confusion.pairs() == []
