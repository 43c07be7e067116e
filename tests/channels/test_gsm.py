"""SMS cost: GSM-7 where the meaning survives, and segments counted exactly."""

from __future__ import annotations

import pytest

from bot.channels.gsm import is_gsm, segments, to_gsm


@pytest.mark.parametrize(
    ("written", "sent"),
    [
        ("Educación pública", "Educacion publica"),  # á, ó are not GSM-7
        ("Où est l'hôpital ?", "Où est l'hopital ?"),  # ù stays, ô goes
        ("Ça coûte ç", "Ça coute c"),  # capital Ç is GSM-7, small ç is not
        ("é è à ò ñ ü Ñ", "é è à ò ñ ü Ñ"),  # GSM-7 letters stay
        ("“Quotes” — and…", '"Quotes" - and...'),
        ("lekòl, doktè, São", "lekòl, doktè, Sao"),  # Kreyòl letters are GSM-7
    ],
)
def test_transliteration_keeps_gsm_letters_and_replaces_the_rest(written: str, sent: str) -> None:
    assert to_gsm(written) == sent
    assert is_gsm(sent)


def test_characters_without_stand_in_stay_and_make_it_ucs2() -> None:
    text = to_gsm("Call 😀 now")
    assert "😀" in text and not is_gsm(text)


def test_gsm_segments_with_extension_characters_counting_double() -> None:
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("a" * 306) == 2
    assert segments("a" * 307) == 3
    assert segments("€" * 80) == 1  # 160 septets
    assert segments("€" * 81) == 2
    # An escape pair is never split: 152 septets then '€' needs a new segment.
    assert segments("a" * 152 + "€" + "a" * 10) == 2
    assert segments("a" * 152 + "€" + "a" * 153) == 3


def test_ucs2_segments() -> None:
    assert segments("ä" * 70) == 1  # ä is GSM-7
    assert segments("ê" * 70) == 1
    assert segments("ê" * 71) == 2
    assert segments("ê" * 134) == 2
    assert segments("ê" * 135) == 3
    assert segments("😀" * 35) == 1  # each emoji is two UTF-16 units
    assert segments("😀" * 36) == 2
    assert segments("") == 0
