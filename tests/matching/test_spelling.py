"""Typo correction finds the word meant, and refuses to guess when it cannot be sure."""

from __future__ import annotations

from bot.matching.spelling import Speller

WORDS = ["hospital", "certificate", "vaccination", "school", "passport", "hospitality", "doctor"]


def test_one_edit_is_corrected() -> None:
    speller = Speller(WORDS)
    assert speller.correct("hospitl") == "hospital"  # a letter missing
    assert speller.correct("passaport") == "passport"  # a letter too many
    assert speller.correct("doctpr") == "doctor"  # a letter wrong
    assert speller.correct("shcool") == "school"  # two letters swapped


def test_two_edits_only_for_long_words() -> None:
    speller = Speller(WORDS)
    assert speller.correct("sertificat") == "certificate"
    assert speller.correct("vacunation") == "vaccination"
    assert speller.correct("dactpr") is None  # short word, two edits: too risky


def test_a_real_word_is_not_turned_into_another_by_its_first_letter() -> None:
    speller = Speller(["dientes", "hospital", "certificado"])
    assert speller.correct("clientes") is None
    assert speller.correct("ospital") == "hospital"  # a silent h
    assert speller.correct("sertificado") == "certificado"  # by sound


def test_short_and_unknown_words_are_left_alone() -> None:
    speller = Speller(WORDS)
    assert speller.correct("doc") is None
    assert speller.correct("weather") is None
    assert speller.correct("2024") is None
    assert speller.correct("hospital") == "hospital"


def test_frequency_breaks_ties() -> None:
    speller = Speller(["cases", "caves"], {"caves": 1, "cases": 9})
    assert speller.correct("cazes") == "cases"
