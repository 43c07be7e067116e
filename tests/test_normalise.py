"""Normalisation: what users type and what editors write must meet in the same form."""

from __future__ import annotations

import pytest

from bot.normalise import fold, split_sentences, stem, tokens


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Educación", "educacion"),
        ("LEKÒL", "lekol"),
        ("Haïti", "haiti"),
        ("São Paulo", "sao paulo"),
        ("ÇA", "ca"),
    ],
)
def test_fold_strips_case_and_accents(typed: str, folded: str) -> None:
    assert fold(typed) == folded


def test_tokens_split_apostrophes_and_punctuation_but_keep_t_and_t() -> None:
    assert tokens("J'ai besoin d'un médecin!!") == ["j", "ai", "besoin", "d", "un", "medecin"]
    assert tokens("m'ap chèche travay, T&T...") == ["m", "ap", "cheche", "travay", "t&t"]
    assert tokens("  ¿¡ !! ") == []


def test_stem_joins_word_families_per_language() -> None:
    assert stem("certificates", "en") == stem("certificate", "en")
    assert stem("inscripciones", "es") == stem("inscripcion", "es")
    assert stem("vaccinations", "fr") == stem("vaccination", "fr")
    # Kreyòl has no stemmer and short words are left alone in every language.
    assert stem("lopital", "ht") == "lopital"
    assert stem("bus", "en") == "bus"


def test_long_story_splits_into_sentences() -> None:
    story = "I came in 2019 with my kids. My son is sick!\nWhere is a free clinic?"
    assert split_sentences(story) == [
        "I came in 2019 with my kids.",
        "My son is sick!",
        "Where is a free clinic?",
    ]
