"""One contract, every store: SQLite and a real Redis server pass the same tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.conversation.session import Session
from bot.storage import RedisStore, SessionStore, SqliteStore, open_store, session_key


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SessionStore]:
    if request.param == "sqlite":
        made: SessionStore = SqliteStore(tmp_path / "sessions.sqlite3")
    else:
        url = request.getfixturevalue("redis_url")
        made = RedisStore(url, prefix=f"test-{uuid.uuid4().hex}:")
    yield made
    await made.close()


def test_keys_hide_the_user_id_and_depend_on_the_secret() -> None:
    key = session_key("secret", "sms", "+18685550100")
    assert "8685550100" not in key and len(key) == 64
    assert key == session_key("secret", "sms", "+18685550100")
    assert key != session_key("other", "sms", "+18685550100")
    assert key != session_key("secret", "telegram", "+18685550100")


async def test_save_load_delete(store: SessionStore) -> None:
    assert await store.load("k") is None
    session = Session(language="ht", country="do", pages=("2/2",))
    await store.save("k", session)
    assert await store.load("k") == session
    await store.save("k", session.update(country="ht"))
    assert (await store.load("k")) == session.update(country="ht")
    await store.delete("k")
    assert await store.load("k") is None


async def test_remember_returns_the_first_value_for_a_redelivery(store: SessionStore) -> None:
    assert await store.remember("sms:SM1", "<Response>first</Response>") is None
    assert await store.remember("sms:SM1", "<Response>second</Response>") == (
        "<Response>first</Response>"
    )
    assert await store.recall("sms:SM1") == "<Response>first</Response>"
    assert await store.recall("sms:SM2") is None


async def test_markers_expire(store: SessionStore) -> None:
    assert await store.remember("tg:1", "done", ttl=1) is None
    await asyncio.sleep(1.2)
    assert await store.recall("tg:1") is None
    assert await store.remember("tg:1", "again", ttl=60) is None


async def test_one_users_messages_run_one_at_a_time_in_order(store: SessionStore) -> None:
    events: list[str] = []

    async def handle(name: str, delay: float) -> None:
        async with store.lock("user"):
            events.append(f"start {name}")
            await asyncio.sleep(delay)
            events.append(f"end {name}")

    first = asyncio.create_task(handle("a", 0.1))
    await asyncio.sleep(0.02)
    await asyncio.gather(first, handle("b", 0))
    assert events == ["start a", "end a", "start b", "end b"]


async def test_different_users_do_not_wait_for_each_other(store: SessionStore) -> None:
    order: list[str] = []

    async def slow() -> None:
        async with store.lock("slow-user"):
            await asyncio.sleep(0.3)
            order.append("slow")

    async def fast() -> None:
        await asyncio.sleep(0.02)
        async with store.lock("fast-user"):
            order.append("fast")

    await asyncio.gather(slow(), fast())
    assert order == ["fast", "slow"]


def test_open_store_picks_the_backend(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path / "s.sqlite3")), SqliteStore)
    assert isinstance(open_store("redis://127.0.0.1:1/0"), RedisStore)


async def test_append_only_records_by_time_and_pruning(store: SessionStore) -> None:
    await store.append("log", '{"n": 1}', at=100.0)
    await store.append("log", '{"n": 1}', at=200.0)  # the same text twice stays twice
    await store.append("log", '{"n": 3}', at=300.0)
    await store.append("other", '{"n": 4}', at=300.0)
    assert await store.records("log") == [
        (100.0, '{"n": 1}'),
        (200.0, '{"n": 1}'),
        (300.0, '{"n": 3}'),
    ]
    assert await store.records("log", since=200.0) == [(200.0, '{"n": 1}'), (300.0, '{"n": 3}')]
    assert await store.prune("log", before=250.0) == 2
    assert await store.records("log") == [(300.0, '{"n": 3}')]
    assert await store.records("other") == [(300.0, '{"n": 4}')]


async def test_begin_and_finish_record_a_message_atomically(store: SessionStore) -> None:
    assert await store.begin("user", "sms:SM9") == (None, None)
    session = Session(country="gt")
    await store.finish("user", session, "sms:SM9", "<Response/>")
    assert await store.begin("user", "sms:SM9") == ("<Response/>", None)  # a redelivery
    assert await store.begin("user", "sms:SM10") == (None, session)
    assert await store.begin("user", None) == (None, session)
    await store.finish("user", None)  # forget me
    assert await store.load("user") is None
