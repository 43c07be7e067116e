"""`puente report unanswered`: near-duplicate questions from the log, grouped and counted."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.conversation.messages import Unanswered
from bot.conversation.unanswered import DAY, UnansweredLog
from bot.reports.unanswered import Asked, comparable, group, read
from bot.storage import SqliteStore

STOPWORDS = {"en": frozenset({"i", "a", "can", "where", "do", "how", "my", "the", "to"})}

ASKED = [
    # Four ways of asking to rent a house, one with a name the log redacts.
    Unanswered("where can I rent a house", "en", "tt", ("mini-tt-clinic",), "abstained"),
    Unanswered("Where can i rent a house?", "en", "tt", (), "abstained"),
    Unanswered("rent house cheap", "en", "jm", ("mini-tt-clinic",), "abstained"),
    Unanswered("my name is Ana Perez, where can I rent a house", "en", "tt", (), "not helpful"),
    Unanswered("donde puedo alquilar una casa", "es", "tt", ("mini-tt-passport",), "abstained"),
    Unanswered("dónde alquilar casa", "es", "tt", ("mini-tt-passport",), "abstained"),
    Unanswered("how do I open a bank account", "en", None, (), "abstained"),
]


async def fill(path: Path, old: float = 0.0) -> None:
    store = SqliteStore(path)
    log = UnansweredLog(store)
    now = time.time()
    for item in ASKED:
        await log.add(item, at=now - old)
    await store.close()


async def records(path: Path) -> list[Asked]:
    store = SqliteStore(path)
    try:
        return await read(store, None, 90)
    finally:
        await store.close()


def test_comparable_text_is_folded_without_stop_words() -> None:
    assert comparable("Where can I rent a House?", "en", STOPWORDS) == "rent house"
    assert comparable("where can I", "en", STOPWORDS) == "where can i"  # nothing else left


async def test_near_duplicates_are_grouped_most_asked_first(tmp_path: Path) -> None:
    await fill(tmp_path / "s.sqlite3")
    groups = group(await records(tmp_path / "s.sqlite3"), STOPWORDS)
    assert [g.count for g in groups] == [4, 2, 1]
    rent, alquilar, bank = groups
    assert rent.representative == "where can I rent a house"
    assert rent.tally("language") == "en 4"
    assert rent.tally("country") == "tt 3, jm 1"
    assert rent.tally("candidates") == "mini-tt-clinic 2"
    assert rent.tally("reason") == "abstained 3, not helpful 1"
    assert "my name is [name], where can I rent a house" in [text for text, _ in rent.wordings()]
    assert alquilar.tally("candidates") == "mini-tt-passport 2"
    assert bank.tally("country") == "— 1"


def test_command_reads_the_store_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sessions.sqlite3"
    asyncio.run(fill(path))
    monkeypatch.setenv("SESSION_STORE", str(path))
    assert main(["report", "unanswered"]) == 0
    out = capsys.readouterr().out
    assert "7 unanswered questions in all the kept records" in " ".join(out.split())
    first = next(line for line in out.splitlines() if line.startswith("1  "))
    assert first.split()[:2] == ["1", "4"]
    assert "where can I rent a" in first and "tt 3, jm 1" in first
    assert "1. where can I rent a house (4)" in out


def test_since_keeps_only_recent_questions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SESSION_STORE", raising=False)
    path = tmp_path / "sessions.sqlite3"
    asyncio.run(fill(path, old=10 * DAY))
    assert main(["report", "unanswered", "--store", str(path), "--since", "7"]) == 0
    assert "0 unanswered questions in the last 7 days" in " ".join(capsys.readouterr().out.split())
    assert main(["report", "unanswered", "--store", str(path), "--since", "30"]) == 0
    assert "7 unanswered questions in the last 30 days" in " ".join(capsys.readouterr().out.split())


def test_a_missing_store_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nowhere.sqlite3"
    assert main(["report", "unanswered", "--store", str(path)]) == 2
    assert "no session store" in capsys.readouterr().err
    assert not path.exists()
