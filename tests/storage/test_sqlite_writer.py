"""SQLite's one writer: concurrent writes share commits, and nothing is said done before it is."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.storage import SqliteStore
from tests.conftest import DATA, ROOT, FakeClock, free_port
from tests.test_serve import PUBLIC, TOKEN, sms_env


async def test_concurrent_messages_share_commits_and_all_are_in_the_file(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    await asyncio.gather(
        *(store.finish(f"user{n}", f'{{"n": {n}}}', f"sms:SM{n}", f"<r{n}/>") for n in range(200))
    )
    writes, commits = store._writer.writes, store._writer.commits
    await store.close()
    assert writes == 200 and commits < 100  # grouped, not one commit per message
    with sqlite3.connect(tmp_path / "s.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone() == (200,)
        assert db.execute("SELECT count(*) FROM markers WHERE marker LIKE '%@%'").fetchone() == (
            200,
        )


async def test_a_reopened_store_knows_sessions_and_redeliveries(tmp_path: Path) -> None:
    clock = FakeClock()
    first = SqliteStore(tmp_path / "s.sqlite3", clock=clock)
    await first.finish("user", '{"country": "gt"}', "sms:SM1", "<Response>first</Response>")
    await first.close()
    again = SqliteStore(tmp_path / "s.sqlite3", clock=clock)
    assert await again.begin("user", "sms:SM1") == ("<Response>first</Response>", None)
    assert await again.begin("user", "sms:SM2") == (None, '{"country": "gt"}')
    clock.advance(91 * 86_400)  # expired in memory exactly as in the file
    assert await again.begin("user", "sms:SM2") == (None, None)
    await again.close()


async def test_a_write_the_file_refuses_is_not_reported_done_nor_kept_in_memory(
    tmp_path: Path,
) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    await store.save("user", '{"country": "gt"}')
    # Another connection holds the write lock past SQLite's wait: the commit cannot happen.
    blocker = sqlite3.connect(tmp_path / "s.sqlite3", timeout=0, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    store._db.execute("PRAGMA busy_timeout=100")
    with pytest.raises(sqlite3.OperationalError):
        await store.finish("user", '{"country": "hn"}', "sms:SM1", "<r/>")
    blocker.execute("ROLLBACK")
    blocker.close()
    assert await store.begin("user", "sms:SM1") == (None, '{"country": "gt"}')
    await store.close()


def test_a_reply_acknowledged_is_in_the_file_when_the_process_is_killed(tmp_path: Path) -> None:
    port = free_port()
    store = tmp_path / "sessions.sqlite3"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "serve",
            "--port",
            str(port),
            "--knowledge",
            str(DATA / "mini"),
        ],
        cwd=ROOT,
        env=sms_env(store),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        validator = RequestValidator(TOKEN)
        answers = []
        with httpx.Client() as client:
            for n in range(5):
                params = {"MessageSid": f"SMkill{n}", "From": f"+1868555017{n}", "Body": "hola"}
                signature = validator.compute_signature(PUBLIC + "/sms", params)
                answers.append(
                    client.post(
                        base + "/sms", data=params, headers={"X-Twilio-Signature": signature}
                    )
                )
        assert [a.status_code for a in answers] == [200] * 5
    finally:
        server.send_signal(signal.SIGKILL)  # no shutdown, no flush: what a crash leaves
        server.wait(timeout=10)
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone() == (5,)
        kept = {m for (m,) in db.execute("SELECT marker FROM markers WHERE marker LIKE 'sms:%'")}
    assert {m.split("@")[0] for m in kept} == {f"sms:SMkill{n}" for n in range(5)}
