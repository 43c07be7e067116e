"""The locales loader: interface strings and matching data per language, problems reported."""

from __future__ import annotations

import shutil
from pathlib import Path

from bot.content.locales import load_locales
from bot.settings import DEFAULT_LOCALES


def test_the_shipped_locales_load_without_problems_in_every_language() -> None:
    locales, problems = load_locales(DEFAULT_LOCALES)
    assert [str(p) for p in problems if p.severity == "error"] == []
    assert {"en", "es", "fr", "ht", "pt"} <= set(locales.languages)
    assert locales.text("es", "Menu") == "Menú"
    assert locales.text("ht", "Menu") != "Menu"


def test_an_untranslated_string_falls_back_along_the_chain() -> None:
    locales, _ = load_locales(DEFAULT_LOCALES)
    assert locales.text("xx", "Menu") == "Menu"  # an unknown language gets the English msgid
    assert locales.text("es", "a string nobody translated") == "a string nobody translated"


def test_a_broken_language_file_is_reported_with_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "locales"
    shutil.copytree(DEFAULT_LOCALES, folder)
    (folder / "es.yaml").write_text("language: es\nstopwords: [el, la\n")
    locales, problems = load_locales(folder)
    assert any(str(p).startswith(str(folder / "es.yaml")) for p in problems)
    assert "en" in locales.languages  # the others still load


def test_an_unknown_command_name_is_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "locales"
    shutil.copytree(DEFAULT_LOCALES, folder)
    path = folder / "fr.yaml"
    path.write_text(path.read_text().replace("commands:\n", "commands:\n  dance: [danse]\n", 1))
    _, problems = load_locales(folder)
    assert any("unknown command 'dance'" in p.message and p.severity == "warning" for p in problems)
