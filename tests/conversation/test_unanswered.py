"""Unanswered questions are kept for editors without anything that identifies the person."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.conversation.messages import Unanswered
from bot.conversation.unanswered import UnansweredLog, redact
from bot.storage import SqliteStore


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("my name is Ana Perez and I need a lawyer", "my name is [name] and I need a lawyer"),
        ("me llamo Juan, necesito casa", "me llamo [name], necesito casa"),
        ("Je m'appelle Marie. Logement?", "Je m'appelle [name]. Logement?"),
        ("mwen rele Jean Baptiste, m bezwen kay", "mwen rele [name], m bezwen kay"),
        ("call me on +1 868 555 0123 or 7805551234", "call me on [number] or [number]"),
        ("write to ana.perez@example.org please", "write to [email] please"),
        ("my case is 2024118877", "my case is [number]"),
        ("housing loan in 2 years", "housing loan in 2 years"),
    ],
)
def test_redaction(said: str, kept: str) -> None:
    assert redact(said) == kept


async def test_records_are_redacted_have_no_user_and_expire(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    log = UnansweredLog(store, retention_days=90)
    now = time.time()
    item = Unanswered("my name is Ana, housing loan?", "en", "tt", ("tt-work-x",), "abstained")
    await log.add(item, at=now - 100 * 86_400)  # past retention
    await log.add(item, at=now)
    records = await log.since()
    assert len(records) == 1
    record = records[0][1]
    assert record == {
        "text": "my name is [name], housing loan?",
        "language": "en",
        "country": "tt",
        "candidates": ["tt-work-x"],
        "reason": "abstained",
    }
    await store.close()


def test_redaction_removes_names_numbers_and_places_in_five_languages() -> None:
    import json

    from bot.conversation.unanswered import redact
    from tests.conftest import DATA

    lines = (DATA / "redaction.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) >= 25
    for line in lines:
        case = json.loads(line)
        shown = redact(case["text"])
        for gone in case["gone"]:
            assert gone not in shown, (case["text"], shown)
        for kept in case["kept"]:
            assert kept in shown, (case["text"], shown)  # the need itself survives
