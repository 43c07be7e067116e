"""Each hand-set constant of the matcher, shown by a message it decides.

Every test makes the decision the constant exists for, then sets the constant to the value that
would undo it and shows the decision change: the rule is held here, not only by the accuracy
floors.
"""

from __future__ import annotations

import pytest

from bot.library import build_snapshot
from bot.matching import Reason
from bot.matching import analysis as analysis_module
from bot.matching import matcher as matcher_module
from bot.matching.spelling import CACHE_SIZE, Speller
from tests.conftest import DATA

MATCHER = build_snapshot(DATA / "mini").matcher
ANALYZER = MATCHER.index.analyzer


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    # A constant changed by a test must not be hidden by what an earlier message left cached.
    ANALYZER._words.clear()
    ANALYZER.speller._cache.clear()


def test_answer_at_keeps_a_weak_guess_from_being_answered(monkeypatch: pytest.MonkeyPatch) -> None:
    # "report" is all the base knows of it, from the passport entry's police report.
    message = "how do i report a pothole on my street"
    match = MATCHER.match(message, "tt")
    assert match.entry is None and match.reason is Reason.NOT_SURE
    assert 0 < match.score < matcher_module.ANSWER_AT
    monkeypatch.setattr(matcher_module, "ANSWER_AT", 1)
    assert MATCHER.match(message, "tt").entry is not None  # the wrong guess it would give


def test_out_of_scope_override_refuses_a_need_no_entry_covers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = "I need a bank loan to open a shop near the clinic"
    match = MATCHER.match(message, "tt")
    assert match.entry is None and match.reason is Reason.OUTSIDE
    assert match.outside == ("business_loan",)
    assert match.score >= matcher_module.ANSWER_AT  # shared words alone would have answered
    monkeypatch.setattr(matcher_module, "OUT_OF_SCOPE_OVERRIDE", matcher_module.ANSWER_AT)
    assert MATCHER.match(message, "tt").entry.id == "mini-tt-clinic"  # type: ignore[union-attr]


def test_context_share_lets_the_asking_sentence_outweigh_the_story(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    story = (
        "My son has a fever and a cough and the doctor at the clinic gave him pills for the "
        "pain. Now where do I get a new passport for him?"
    )
    match = MATCHER.match(story, "tt")
    assert match.analysis is not None
    assert match.analysis.need_text == "Now where do I get a new passport for him?"
    assert match.entry.id == "mini-tt-passport"  # type: ignore[union-attr]
    monkeypatch.setattr(matcher_module, "CONTEXT_SHARE", 1.0)
    assert MATCHER.match(story, "tt").entry.id == "mini-tt-clinic"  # type: ignore[union-attr]


def test_stemmed_languages_keep_a_chance_stem_of_another_language_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # French "prend" (takes) shares its stem with Spanish and Portuguese "prender" (arrest).
    keys = {f.key for f in ANALYZER.analyse("il prend le bus demain", ["fr"]).features}
    assert "c:detention" not in keys
    monkeypatch.setattr(analysis_module, "STEMMED_LANGUAGES", 10)
    ANALYZER._words.clear()
    keys = {f.key for f in ANALYZER.analyse("il prend le bus demain", ["fr"]).features}
    assert "c:detention" in keys


def test_valid_languages_never_correct_a_real_word_into_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert ANALYZER.analyse("we had a party for my son", ["en"]).corrections == []
    monkeypatch.setattr(analysis_module, "VALID_LANGUAGES", 0)
    corrected = ANALYZER.analyse("we had a party for my son", ["en"]).corrections
    assert ("party", "parto") in corrected  # Spanish for childbirth


def test_zipf_scale_weighs_rare_real_words_more_than_common_ones() -> None:
    found = {w: r for w, _, r in ANALYZER.analyse("where can i surf near here", ["en"]).unexplained}
    assert found["surf"] > 0.5 > found["near"] > 0
    assert "where" not in found  # a stopword says nothing at all


def test_unexplained_share_lowers_the_score_of_what_the_answer_leaves_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    padded = "where can i see a doctor about surfing"
    left_out = MATCHER.match(padded, "tt")
    assert {w for w, _, _ in left_out.analysis.unexplained} == {"surfing"}  # type: ignore[union-attr]
    monkeypatch.setattr(matcher_module, "UNEXPLAINED_SHARE", 0.0)
    assert MATCHER.match(padded, "tt").score > left_out.score


def test_spelling_corrections_are_remembered_and_bounded() -> None:
    speller = Speller(["hospital", "passport"])
    for n in range(CACHE_SIZE + 10):
        speller.correct(f"hospitl{n:06d}")
    assert len(speller._cache) <= CACHE_SIZE
    assert speller.correct("hospitl") == "hospital"
    assert ("hospitl", frozenset()) in speller._cache


def test_need_features_let_the_story_lead_when_the_question_says_only_how(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    story = "My passport was stolen on the bus yesterday, I have nothing now. Who do I call?"
    match = MATCHER.match(story, "tt")
    assert match.analysis is not None and match.analysis.need_text == ""  # "who do I call" only
    assert match.entry is not None and match.entry.id == "mini-tt-passport"
    monkeypatch.setattr(analysis_module, "NEED_FEATURES", 0)
    led_by_the_question = MATCHER.match(story, "tt")
    assert led_by_the_question.score < match.score  # the story's passport counted half


def test_sentence_share_lets_the_asking_sentence_carry_a_long_message() -> None:
    story = (
        "We came here two years ago from Venezuela with my husband and the kids. "
        "He works in construction and I clean houses, it is hard but we manage. "
        "Where do I get a new passport?"
    )
    match = MATCHER.match(story, "tt")
    assert match.entry is not None and match.entry.id == "mini-tt-passport"
    whole = match.candidates[0].weight  # the whole message's share would score far lower
    assert match.score >= round(matcher_module.SENTENCE_SHARE / matcher_module.FULL_COVERAGE * 60)
    assert whole > 0
