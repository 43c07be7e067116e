"""Matching cases a user relies on. A reported mismatch becomes a case here, named after it."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.library import build_snapshot
from bot.matching import Matcher
from tests.conftest import DATA, add_entries, write_files

MATCHER = build_snapshot(DATA / "mini").matcher


@pytest.mark.parametrize(
    ("message", "country", "expected"),
    [
        ("where can i see a doctor", "tt", "mini-tt-clinic"),
        ("i need a docter for my son", "tt", "mini-tt-clinic"),  # typo
        ("necesito un medico pa mi hijo", "tt", "mini-tt-clinic"),  # shorthand, no accent
        ("mwen bezwen yon dokte pou pitit mwen", "tt", "mini-tt-clinic"),  # other language
        ("je cherche un médecin pour mon fils", "tt", "mini-tt-clinic"),
        ("preciso de um médico para meu filho", "tt", "mini-tt-clinic"),
        ("I had an accident, where is the emergency room", "tt", "mini-tt-emergency"),
        ("perdi mi pasaporte", "tt", "mini-tt-passport"),
        ("m pedi paspo m", "tt", "mini-tt-passport"),
        ("PASSPORT STOLEN", "tt", "mini-tt-passport"),
        ("can my skills be certified", "tt", "mini-region-skills"),  # region fills the gap
    ],
)
def test_finds_the_entry(message: str, country: str, expected: str) -> None:
    match = MATCHER.match(message, country)
    assert match.entry is not None, (message, match.candidates)
    assert match.entry.id == expected


@pytest.mark.parametrize(
    "message",
    [
        "what is the weather tomorrow",
        "who won the football match yesterday",
        "quiero un credito de vivienda",
        "how do i get a driving licence",
        "je veux acheter une voiture",
        "hello",
        "gracias",
        "mesi anpil",
    ],
)
def test_abstains_on_what_the_base_does_not_cover(message: str) -> None:
    assert MATCHER.match(message, "tt").entry is None


def test_a_long_story_finds_the_one_sentence_that_matters() -> None:
    story = (
        "We came here two years ago from Venezuela with my husband and the kids. "
        "He works in construction and I clean houses, it is hard but we manage. "
        "Yesterday somebody took my bag on the bus. I lost my passport."
    )
    assert MATCHER.match(story, "tt").entry.id == "mini-tt-passport"  # type: ignore[union-attr]


def test_answers_along_the_fallback_chain_and_says_so() -> None:
    match = MATCHER.match("mwen bezwen yon dokte", "tt")
    assert match.detected == "ht" and match.language == "en"  # ht → fr → en
    assert match.notes == ("no ht text; answered in en",)
    spanish = MATCHER.match("necesito un medico", "tt")
    assert spanish.language == "es" and not spanish.notes


def test_suggestions_are_other_entries_at_most_three() -> None:
    match = MATCHER.match("hospital passport doctor skills", "tt")
    shown = [entry.id for entry in match.alternatives]
    assert 1 <= len(shown) <= 3
    assert match.entry is None or match.entry.id not in shown


@pytest.mark.parametrize(
    ("message", "country", "searched"),
    [
        ("I'm going back to Jamaica next month, where do I get help", "tt", "jm"),
        ("m pral Jamayik", "tt", "jm"),
        ("voy a regresar a trinidad", "jm", "tt"),
        ("soy de Jamaica y necesito un medico", "tt", "tt"),  # origin, not destination
        ("I got my degree in Jamaica", "tt", "tt"),
        ("need a dr", "tt", "tt"),  # 'dr' is a doctor here, not the Dominican Republic
    ],
)
def test_country_named_as_destination_redirects_origin_does_not(
    message: str, country: str, searched: str
) -> None:
    assert MATCHER.match(message, country).country == searched


def test_the_countrys_own_entry_beats_a_region_entry_written_in_the_users_language(
    mini: Path,
) -> None:
    # The region entry has French example questions, the local one only Spanish: a French
    # message still gets the local hotline, because both speak of trafficking.
    add_entries(
        mini,
        "region/emergency.yaml",
        "emergency",
        """\
  - id: mini-region-trafficking-signs
    title: {en: Signs of trafficking, fr: Signes de traite}
    questions:
      en: [my boss keeps my passport, signs of trafficking]
      fr:
        - mon patron garde mon passeport
        - signes de traite
        - on m'a promis un travail mais on m'enferme
    answer: {en: "Warning signs.", fr: "Signes d'alerte."}
    sources: [https://example.org/signs]
    reviewed: 2026-10-01
""",
    )
    add_entries(
        mini,
        "tt/emergency.yaml",
        "emergency",
        """\
  - id: mini-tt-trafficking-line
    title: {en: Trafficking hotline, es: Línea contra la trata}
    questions:
      en: [report human trafficking, they took my passport and i cannot leave]
      es: [denunciar trata de personas, me prometieron trabajo y ahora no me dejan salir]
    answer: {en: "Call the hotline.", es: "Llame a la línea."}
    sources: [https://example.org/line]
    reviewed: 2026-10-01
""",
    )
    matcher = build_snapshot(mini).matcher
    message = "on m'a promis un travail mais maintenant on m'enferme et je ne peux pas sortir"
    local = matcher.match(message, "tt")
    assert local.entry is not None and local.entry.id == "mini-tt-trafficking-line"
    elsewhere = matcher.match(message, "jm")  # no local entry there: the region answers
    assert elsewhere.entry is not None and elsewhere.entry.id == "mini-region-trafficking-signs"


def test_an_english_story_finds_the_spanish_only_countrys_entry(tmp_path: Path) -> None:
    # The English words around the need belong to other countries' entries; against a
    # Spanish-only country they must not drown the one concept that matters ("job").
    files = {
        "countries.yaml": """countries:
  hn:
    names: {en: Honduras, es: Honduras}
    languages: [es]
    timezone: America/Tegucigalpa
  tt:
    names: {en: Trinidad and Tobago}
    languages: [en]
    timezone: America/Port_of_Spain
""",
        "hn/work.yaml": """topic: work
entries:
  - id: hn-job
    title: {es: Buscar empleo}
    questions: {es: [donde busco trabajo, hay bolsa de empleo, necesito chamba]}
    answer: {es: "El servicio nacional de empleo ayuda gratis."}
    sources: [https://example.org/empleo]
    reviewed: 2026-10-01
""",
        "tt/documents.yaml": """topic: documents
entries:
  - id: tt-papers
    title: {en: Papers after years abroad}
    questions:
      en: [i came back after many years in the states, my papers expired last month]
    answer: {en: "After years abroad, the government office renews papers every month."}
    sources: [https://example.org/papers]
    reviewed: 2026-10-01
""",
    }
    matcher = build_snapshot(write_files(tmp_path / "kb", files)).matcher
    story = "I came back after 10 years in Virginia, is there a government office to find a job?"
    match = matcher.match(story, "hn")
    assert match.entry is not None and match.entry.id == "hn-job"


@pytest.fixture(scope="module")
def shipped_matcher() -> Matcher:
    from tests.conftest import ROOT

    return build_snapshot(ROOT / "knowledge").matcher


@pytest.mark.parametrize(
    ("text", "country"),
    [
        ("necesito un doctor en trinida", "tt"),
        ("estoy en guatemal como saco el dpi", "gt"),
        ("clinica gratis en hondura", "hn"),
    ],
)
def test_a_misspelled_country_is_used_as_the_country(
    shipped_matcher: Matcher, text: str, country: str
) -> None:
    match = shipped_matcher.match(text)
    assert match.country == country and match.entry is not None
    assert match.entry.country == country


@pytest.mark.parametrize(
    ("text", "home", "expected"),
    [
        # Mexico is only where it happened; the DPI is Guatemala's, as is the user.
        ("perdi mi DPI cuando me agarraron, mexico, como lo saco", "gt", "gt-documents-dpi"),
        # Guatemala is where the cousin was lost; the user's Honduras searches for migrants.
        (
            "lost contact with my cousin, he was crossing guatemala 2 weeks ago",
            "hn",
            "hn-emergency-missing-migrants",
        ),
        # The country named is the one asked about: its entries answer better than home's.
        ("perdi el DUI, El Salvador, como lo saco", "gt", "sv-documents-dui"),
    ],
)
def test_a_country_only_named_moves_the_question_only_if_it_answers_better(
    shipped_matcher: Matcher, text: str, home: str, expected: str
) -> None:
    match = shipped_matcher.match(text, home)
    assert match.entry is not None and match.entry.id == expected
