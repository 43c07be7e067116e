"""Language detection on what people really type: short, unaccented, shorthand."""

from __future__ import annotations

import pytest

from bot.library import build_snapshot
from tests.conftest import DATA

ANALYZER = build_snapshot(DATA / "mini").matcher.index.analyzer


@pytest.mark.parametrize(
    ("message", "language"),
    [
        ("where can i see a doctor", "en"),
        ("wat do i do now pls", "en"),
        ("donde hay un medico", "es"),
        ("necesito ayuda xq no tengo papeles", "es"),
        ("q hago pa sacar la cedula", "es"),
        ("ou est l'hopital le plus proche", "fr"),
        ("je cherche un medecin svp", "fr"),
        ("mwen bezwen yon dokte", "ht"),
        ("m pa gen papye, kote m ka ale", "ht"),
        ("kijan pou m enskri pitit mwen lekol", "ht"),
        ("preciso de um médico urgente", "pt"),
        ("onde tem uma escola pra minha filha", "pt"),
    ],
)
def test_detects_the_language(message: str, language: str) -> None:
    assert ANALYZER.analyse(message).language.language == language


def test_a_word_every_language_shares_falls_back_to_the_prior() -> None:
    detection = ANALYZER.analyse("hospital", prior=["es"])
    assert detection.language.language == "es"
