"""Decisions kept for speed belong to one snapshot: reload, forget-me and the bound drop them."""

from __future__ import annotations

from pathlib import Path

from bot.conversation.decisions import SnapshotCaches
from bot.conversation.engine import Engine
from bot.conversation.messages import Inbound
from bot.conversation.session import Session
from bot.library import Library, build_snapshot
from tests.conftest import DATA

TT = Session(country="tt", language="en")


async def answer(engine: Engine, text: str) -> str:
    outcome = await engine.handle(Inbound("test", "u1", text=text), TT)
    return outcome.replies[-1].text


async def test_a_reload_answers_the_same_words_from_the_new_content(mini: Path) -> None:
    library = Library(build_snapshot(mini))
    engine = Engine(library)
    assert (await answer(engine, "I lost my passport")).startswith("Report the loss")
    passport = mini / "tt" / "documents.yaml"
    passport.write_text(
        passport.read_text().replace("Report the loss to the police", "Go to the police first")
    )
    library.current = build_snapshot(mini)
    assert (await answer(engine, "I lost my passport")).startswith("Go to the police first")


async def test_the_same_words_in_any_case_get_the_same_answer_as_a_first_asking() -> None:
    snapshot = build_snapshot(DATA / "mini")
    fresh = Engine(Library(snapshot))
    warm = Engine(Library(snapshot))
    await answer(warm, "where can i see a doctor")
    for text in ("WHERE can I see a Doctor", "where can i see a doctor", "sala de EMERGENCIAS"):
        assert await answer(warm, text) == await answer(Engine(Library(snapshot)), text)
    assert await answer(fresh, "help! my son is not breathing") == await answer(
        warm, "HELP! My son is not breathing"
    )


def test_kept_decisions_are_bounded_and_go_when_a_user_is_forgotten() -> None:
    snapshot = build_snapshot(DATA / "mini")
    caches = SnapshotCaches(snapshot, size=3)
    for text in ("one passport", "two passport", "three passport", "four passport"):
        caches.decide(text, "tt", None)
    assert [k[0] for k in caches._decisions] == ["two passport", "three passport", "four passport"]
    caches.forget_texts()
    assert not caches._decisions
