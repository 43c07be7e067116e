"""`puente ask --explain`: why an entry won, in words an editor can act on."""

from __future__ import annotations

from bot.library import build_snapshot
from bot.matching.explain import explain
from tests.conftest import DATA


def test_an_answer_is_explained_by_language_concepts_country_and_rivals() -> None:
    snapshot = build_snapshot(DATA / "mini")
    text = explain(snapshot.matcher.match("where is the clinc", "tt"))
    lines = text.splitlines()
    assert lines[0].startswith("language: en (confidence")
    assert "typos corrected: clinc→clinic" in text
    assert "country searched: tt (+ region)" in text
    assert any(line.startswith("answer: mini-tt-clinic — score ") for line in lines)
    assert any(line.startswith("  1. mini-tt-clinic score") for line in lines)


def test_a_refusal_says_why() -> None:
    snapshot = build_snapshot(DATA / "mini")
    text = explain(snapshot.matcher.match("zqxv wobble frumious", "tt"))
    assert "answer: none (" in text and "best score" in text
