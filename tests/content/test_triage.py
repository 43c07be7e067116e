"""Emergency triage: cue groups from locales/triage, combined by the trained model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.content.triage import Triage, _cues, load_triage
from bot.settings import DEFAULT_LOCALES
from tests.conftest import DATA

FOLDER = DEFAULT_LOCALES / "triage"


@pytest.fixture(scope="module")
def triage() -> Triage:
    loaded, problems = load_triage(FOLDER)
    assert [str(p) for p in problems] == []
    return loaded


def test_cues_match_whole_phrases_and_prefixes() -> None:
    cues = _cues(["golpe*", "no respira", "kout kouto"])
    assert list(cues.positions(["mi", "esposo", "me", "esta", "golpeando"])) == [4]
    assert list(cues.positions(["mi", "bebe", "no", "respira"])) == [2]
    assert list(cues.positions(["li", "ban", "m", "yon", "kout", "kouto"])) == [4]
    assert list(cues.positions(["un", "golpe"])) == [1]
    assert list(cues.positions(["respira", "bien"])) == []


def test_features_combine_danger_with_what_takes_it_away(triage: Triage) -> None:
    now = triage.features("he is hitting me right now")
    assert "g:harm&now" in now and "g:harm&past" not in now
    over = triage.features("he hit me last year, I need a divorce lawyer")
    assert "g:harm&past" in over and "g:harm&info" in over
    assert "g:medical&negation-near" in triage.features("no one is bleeding")
    assert "g:harm&past" in triage.features("me asaltaron en 2019")  # a year is the past


@pytest.mark.parametrize(
    "text",
    [
        "ayuda mi esposo me esta golpeando",
        "mi esposo me pega",
        "mon mari me frappe",
        "msye a ap bat mwen kounya",
        "meu marido está me batendo",
        "my baby is not breathing",
        "necesito un doctor, me duele el pecho",
        "SOS",
        "anmwe",
    ],
)
def test_danger_told_in_ordinary_words_is_recognised(triage: Triage, text: str) -> None:
    assert triage.is_emergency(text)


@pytest.mark.parametrize(
    "text",
    [
        "I was robbed last year, how do I get a police report",
        "hola",
        "where do I vaccinate my baby",
        "this paperwork is killing me",
        "what should I do if a hurricane comes",
        "necesito un doctor para mi diabetes",
    ],
)
def test_what_is_over_hypothetical_or_ordinary_raises_no_alarm(triage: Triage, text: str) -> None:
    assert not triage.is_emergency(text)


def test_the_blind_set_stays_above_its_floors(triage: Triage) -> None:
    # Written by someone who never saw the triage data or model; never trained or tuned on.
    rows = [json.loads(line) for line in (DATA / "triage" / "blind.jsonl").read_text().splitlines()]
    emergencies = [r for r in rows if r["emergency"]]
    others = [r for r in rows if not r["emergency"]]
    recall = sum(triage.is_emergency(r["text"]) for r in emergencies) / len(emergencies)
    alarms = sum(triage.is_emergency(r["text"]) for r in others) / len(others)
    assert len(emergencies) >= 200 and len(others) >= 80
    assert recall >= 0.97 and alarms <= 0.06, (recall, alarms)


def test_a_broken_cue_file_is_reported_and_the_rest_still_loads(tmp_path: Path) -> None:
    folder = tmp_path / "triage"
    shutil.copytree(FOLDER, folder, ignore=shutil.ignore_patterns("train"))
    (folder / "fr.yaml").write_text("language: fr\nharm: [frapp*\n")
    (folder / "es.yaml").write_text("language: es\nharms: [golpe*]\n")
    loaded, problems = load_triage(folder)
    shown = [str(p) for p in problems]
    assert any(s.startswith(str(folder / "fr.yaml") + ":") for s in shown)
    assert any("unknown cue group 'harms'" in s for s in shown)
    assert loaded.is_emergency("he is beating me")  # English and the model still work
