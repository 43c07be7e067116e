"""A private copy of the mini base for each test, with a helper to add entries to it."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from tests.conftest import DATA


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A copy of tests/data/mini that the test may change."""
    target = tmp_path / "mini"
    shutil.copytree(DATA / "mini", target)
    return target


def add_entries(root: Path, name: str, topic: str, entries: str) -> None:
    """Append entries (YAML list items, any indentation) to a topic file, creating it if needed."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else f"topic: {topic}\nentries:\n"
    items = textwrap.indent(textwrap.dedent(entries), "  ")
    path.write_text(text.rstrip("\n") + "\n" + items, encoding="utf-8")
