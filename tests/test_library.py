"""Live reload: a good edit goes live without a restart; a broken one is refused whole."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import httpx

from bot.library import Library, Watcher, build_snapshot, reload_once
from bot.settings import DEFAULT_LOCALES, Settings
from bot.web import create_app
from bot.wiring import build
from tests.conftest import DATA

NEW_ENTRY = """
  - id: mini-tt-dentist
    title: {en: Dentist}
    questions: {en: [i need a dentist, my tooth hurts]}
    answer: {en: "The Example Dental Clinic treats toothache."}
    sources: [https://example.org/dentist]
    reviewed: 2026-10-01
"""


def copy_base(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DATA / "mini", target)
    return target


async def test_good_edit_is_swapped_in_and_broken_edit_refused(tmp_path: Path) -> None:
    folder = copy_base(tmp_path)
    library = Library(build_snapshot(folder))
    before = library.current
    health = folder / "tt" / "health.yaml"
    health.write_text(health.read_text() + NEW_ENTRY)
    assert await reload_once(library, folder, DEFAULT_LOCALES)
    assert library.current.version != before.version
    assert library.current.base.entry("mini-tt-dentist") is not None
    good = library.current

    health.write_text(health.read_text().replace("reviewed: 2026-10-01\n", "reviewed: soon\n", 1))
    assert not await reload_once(library, folder, DEFAULT_LOCALES)
    assert library.current is good  # still serving the last good version
    assert library.refused is not None
    assert any("bad date 'soon'" in str(p) for p in library.refused.errors)


async def test_watcher_reloads_on_file_change_and_healthz_shows_refusal(tmp_path: Path) -> None:
    folder = copy_base(tmp_path)
    library = Library(build_snapshot(folder))
    watcher = Watcher(library, folder, DEFAULT_LOCALES)
    await watcher.start()
    try:
        await asyncio.sleep(0.3)
        health = folder / "tt" / "health.yaml"
        health.write_text(health.read_text() + NEW_ENTRY)
        for _ in range(100):
            if library.current.base.entry("mini-tt-dentist") is not None:
                break
            await asyncio.sleep(0.1)
        assert library.current.base.entry("mini-tt-dentist") is not None
        (folder / "tt" / "work.yaml").write_text("topic: work\nentries:\n  - id: [broken\n")
        for _ in range(100):
            if library.refused is not None:
                break
            await asyncio.sleep(0.1)
        assert library.refused is not None
    finally:
        await watcher.stop()
    settings = Settings(knowledge=folder, session_store=str(tmp_path / "s.sqlite3"))
    app = create_app(build(settings, library), watch=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://puente") as client:
        body = (await client.get("/healthz")).json()
    assert body["entries"] == 5
    [error] = body["refused"]["errors"]
    assert "tt/work.yaml:" in error and "YAML syntax" in error
    await app.state.conversations.store.close()


async def test_messages_during_a_swap_are_answered_from_one_whole_version(tmp_path: Path) -> None:
    folder = copy_base(tmp_path)
    library = Library(build_snapshot(folder))
    health = folder / "tt" / "health.yaml"
    health.write_text(health.read_text() + NEW_ENTRY)
    reload = asyncio.create_task(reload_once(library, folder, DEFAULT_LOCALES))
    answers = []
    while not reload.done():
        snapshot = library.current  # what a message reads once, at its start
        match = snapshot.matcher.match("i need a doctor", "tt")
        answers.append((snapshot.version, match.entry.id if match.entry else None))
        await asyncio.sleep(0.002)
    assert await reload
    assert all(entry == "mini-tt-clinic" for _, entry in answers)
    assert library.current.matcher.match("my tooth hurts", "tt").entry is not None


async def test_a_file_caught_half_saved_never_goes_live(tmp_path: Path) -> None:
    folder = copy_base(tmp_path)
    library = Library(build_snapshot(folder))
    old = library.current.version
    health = folder / "tt" / "health.yaml"
    final_text = health.read_text() + NEW_ENTRY
    # The first entry alone, cut where a slow save could pause: valid YAML, a valid base.
    prefix = final_text[: final_text.index("  - id: mini-tt-emergency")]
    served = [old]
    watcher = Watcher(library, folder, DEFAULT_LOCALES)
    await watcher.start()
    try:
        await asyncio.sleep(0.3)  # the watcher is watching
        health.write_text(prefix)
        written = time.monotonic()
        while time.monotonic() - written < 0.4:  # the rest lands a moment later
            await asyncio.sleep(0.005)
            if library.current.version != served[-1]:
                served.append(library.current.version)
        health.write_text(final_text)
        final = build_snapshot(folder).version
        deadline = time.monotonic() + 15
        while served[-1] != final:
            assert time.monotonic() < deadline, f"the final version never went live: {served}"
            await asyncio.sleep(0.005)
            if library.current.version != served[-1]:
                served.append(library.current.version)
    finally:
        await watcher.stop()
    assert served == [old, final]
    assert library.current.base.entry("mini-tt-emergency") is not None
