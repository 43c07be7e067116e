"""One contract, every store: SQLite and a real Redis server pass the same tests."""

from __future__ import annotations

import asyncio
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.storage import RedisStore, SqliteStore, Store, StoreError, open_store, session_key
from bot.storage.contract import TurnTimeout
from tests.conftest import ROOT, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["sqlite", "redis"])
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        made: Store = SqliteStore(tmp_path / "sessions.sqlite3", clock=clock)
    else:
        url = request.getfixturevalue("redis_url")
        made = RedisStore(url, prefix=f"test-{uuid.uuid4().hex}:", clock=clock)
    yield made
    await made.close()


def test_keys_hide_the_user_id_and_depend_on_the_secret() -> None:
    key = session_key("secret", "sms", "+18685550100")
    assert "8685550100" not in key and len(key) == 64
    assert key == session_key("secret", "sms", "+18685550100")
    assert key != session_key("other", "sms", "+18685550100")
    assert key != session_key("secret", "telegram", "+18685550100")


async def test_save_load_delete(store: Store) -> None:
    assert await store.load("k") is None
    await store.save("k", '{"language": "ht", "country": "do"}')
    assert await store.load("k") == '{"language": "ht", "country": "do"}'
    await store.save("k", '{"country": "ht"}')
    assert await store.load("k") == '{"country": "ht"}'
    await store.delete("k")
    assert await store.load("k") is None


async def test_remember_returns_the_first_value_for_a_redelivery(store: Store) -> None:
    assert await store.remember("sms:SM1", "<Response>first</Response>") is None
    assert await store.remember("sms:SM1", "<Response>second</Response>") == (
        "<Response>first</Response>"
    )
    assert await store.recall("sms:SM1") == "<Response>first</Response>"
    assert await store.recall("sms:SM2") is None


async def test_markers_expire_on_sqlite(tmp_path: Path, clock: FakeClock) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3", clock=clock)
    try:
        assert await store.remember("tg:1", "done", ttl=60) is None
        clock.advance(59)
        assert await store.recall("tg:1") == "done"
        clock.advance(2)
        assert await store.recall("tg:1") is None
        assert await store.remember("tg:1", "again", ttl=60) is None
        assert await store.recall("tg:1") == "again"
    finally:
        await store.close()


async def test_markers_expire_on_redis(redis_url: str) -> None:
    # Redis expires keys by its own clock: what we can check is that every marker has one.
    from redis.asyncio import Redis

    prefix = f"test-{uuid.uuid4().hex}:"
    store = RedisStore(redis_url, prefix=prefix)
    client = Redis.from_url(redis_url)
    try:
        await store.remember("tg:1", "done", ttl=60)
        await store.finish("user", "{}", "sms:SM1", "<Response/>", ttl=90)
        assert 0 < await client.ttl(prefix + "m:tg:1") <= 60
        assert 60 < await client.ttl(prefix + "m:sms:SM1@user") <= 90
    finally:
        await client.aclose()
        await store.close()


async def test_one_users_messages_run_one_at_a_time_in_order(store: Store) -> None:
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


async def test_different_users_do_not_wait_for_each_other(store: Store) -> None:
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


async def _hold(store: Store, key: str) -> Callable[[], Awaitable[object]]:
    """The user's turn, taken now and held until the returned release is awaited."""
    held = store.lock(key)
    await held.__aenter__()
    return lambda: held.__aexit__(None, None, None)


async def test_waiters_get_the_turn_in_the_order_they_came(store: Store) -> None:
    release = await _hold(store, "user")
    order: list[int] = []

    async def wait(n: int) -> None:
        async with store.lock("user"):
            order.append(n)

    waiting = []
    for n in range(10):
        waiting.append(asyncio.create_task(wait(n)))
        await asyncio.sleep(0.03)  # spaced, so the order they came in is known
    await release()
    await asyncio.wait_for(asyncio.gather(*waiting), 10)
    assert order == list(range(10))


async def test_a_cancelled_waiter_does_not_hold_up_the_next(store: Store) -> None:
    release = await _hold(store, "user")
    got: list[str] = []

    async def wait(name: str) -> None:
        async with store.lock("user"):
            got.append(name)

    gone = asyncio.create_task(wait("gone"))
    await asyncio.sleep(0.05)
    nxt = asyncio.create_task(wait("next"))
    await asyncio.sleep(0.05)
    gone.cancel()  # the client went away while waiting
    await release()
    await asyncio.wait_for(nxt, 3)  # well before a forgotten ticket's lease would run out
    assert got == ["next"] and gone.cancelled()


async def test_two_processes_on_one_redis_take_turns_in_the_order_they_came(
    redis_url: str,
) -> None:
    from redis.asyncio import Redis

    prefix = f"test-{uuid.uuid4().hex}:"
    one, two = RedisStore(redis_url, prefix=prefix), RedisStore(redis_url, prefix=prefix)
    client = Redis.from_url(redis_url)
    try:
        release = await _hold(one, "user")
        order: list[int] = []

        async def wait(n: int) -> None:
            async with (one, two)[n % 2].lock("user"):
                order.append(n)

        waiting = []
        for n in range(20):
            waiting.append(asyncio.create_task(wait(n)))
            deadline = time.monotonic() + 5
            while await client.llen(prefix + "q:user") < n + 2:  # in line before the next comes
                assert time.monotonic() < deadline, f"waiter {n} never got in line"
                await asyncio.sleep(0.005)
        await release()
        await asyncio.wait_for(asyncio.gather(*waiting), 10)
        assert order == list(range(20))
    finally:
        await client.aclose()
        await one.close()
        await two.close()


async def test_a_dead_holders_turn_passes_on_when_its_lease_runs_out(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex}:"
    holder = (  # a process that takes the turn and is killed while holding it
        "import asyncio, sys\n"
        "from bot.storage import RedisStore\n"
        "async def main():\n"
        f"    store = RedisStore({redis_url!r}, prefix={prefix!r}, lock_seconds=1)\n"
        "    async with store.lock('user'):\n"
        "        print('held', flush=True)\n"
        "        await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", holder, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    store = RedisStore(redis_url, prefix=prefix)
    try:
        assert process.stdout is not None
        assert await asyncio.wait_for(process.stdout.readline(), 30) == b"held\n"
        process.kill()
        await asyncio.wait_for(process.wait(), 10)
        async with asyncio.timeout(5), store.lock("user"):  # 1 s lease, then the next goes
            pass
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await store.close()


async def test_a_wait_for_the_turn_is_bounded_and_leaves_the_line(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex}:"
    holder = RedisStore(redis_url, prefix=prefix)
    impatient = RedisStore(redis_url, prefix=prefix, turn_wait=0.3)
    try:
        release = await _hold(holder, "user")
        with pytest.raises(TurnTimeout):
            async with asyncio.timeout(5), impatient.lock("user"):
                pass
        await release()
        async with asyncio.timeout(2), impatient.lock("user"):  # no ticket left in the way
            pass
    finally:
        await holder.close()
        await impatient.close()


async def test_open_store_picks_the_backend(tmp_path: Path) -> None:
    for spec, kind in (
        (str(tmp_path / "s.sqlite3"), SqliteStore),
        ("redis://127.0.0.1:1/0", RedisStore),
    ):
        opened = open_store(spec)
        assert isinstance(opened, kind)
        await opened.close()


async def test_a_second_process_on_one_sqlite_file_is_refused_and_told_to_use_redis(
    tmp_path: Path,
) -> None:
    first = SqliteStore(tmp_path / "s.sqlite3")
    try:
        with pytest.raises(StoreError, match=r"already used by another Puente process.*redis://"):
            SqliteStore(tmp_path / "s.sqlite3")
    finally:
        await first.close()
    SqliteStore(tmp_path / "s.sqlite3")._owner.close()  # free again once the first is closed


def test_a_damaged_or_unreachable_file_names_session_store_and_the_path(tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4096)
    with pytest.raises(
        StoreError, match=re.escape(f"SESSION_STORE={damaged}: cannot use this SQLite file")
    ):
        SqliteStore(damaged)
    with pytest.raises(StoreError, match=re.escape("SESSION_STORE=/nonexistent/dir/s.sqlite3")):
        SqliteStore("/nonexistent/dir/s.sqlite3")


async def test_ping_fails_when_redis_is_unreachable() -> None:
    store = RedisStore("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(Exception, match=r"(?i)connect"):
            await store.ping()
    finally:
        await store.close()


async def test_append_only_records_by_time_and_pruning(store: Store) -> None:
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


async def test_begin_and_finish_record_a_message_atomically(store: Store) -> None:
    assert await store.begin("user", "sms:SM9") == (None, None)
    await store.finish("user", '{"country": "gt"}', "sms:SM9", "<Response/>")
    assert await store.begin("user", "sms:SM9") == ("<Response/>", None)  # a redelivery
    assert await store.begin("user", "sms:SM10") == (None, '{"country": "gt"}')
    assert await store.begin("user", None) == (None, '{"country": "gt"}')
    await store.finish("user", None)  # forget me
    assert await store.load("user") is None


async def test_records_are_stamped_by_the_stores_clock(store: Store, clock: FakeClock) -> None:
    await store.append("log", '{"n": 1}')
    clock.advance(10)
    await store.append("log", '{"n": 2}')
    assert await store.records("log") == [(clock.now - 10, '{"n": 1}'), (clock.now, '{"n": 2}')]


async def test_the_inbox_keeps_an_item_until_done_and_refuses_a_redelivery(
    store: Store, clock: FakeClock
) -> None:
    assert await store.enqueue("tg", "1", "ana", '{"n": 1}')
    assert not await store.enqueue("tg", "1", "ana", '{"n": 1}')  # already queued
    assert await store.pending("tg") == 1
    [item] = await store.claim("tg", 10, lease=30)
    assert (item.id, item.data, item.attempts) == ("1", '{"n": 1}', 1)
    assert await store.claim("tg", 10, lease=30) == []  # in hand
    await store.complete("tg", "1")
    assert await store.pending("tg") == 0
    assert not await store.enqueue("tg", "1", "ana", '{"n": 1}')  # done lately


async def test_a_lost_lease_hands_the_item_to_the_next_worker(
    store: Store, clock: FakeClock
) -> None:
    await store.enqueue("tg", "7", "ana", "{}")
    assert len(await store.claim("tg", 10, lease=30)) == 1
    clock.advance(31)  # the worker died holding it
    [again] = await store.claim("tg", 10, lease=30)
    assert again.id == "7" and again.attempts == 2


async def test_a_renewed_lease_keeps_the_item_in_hand(store: Store, clock: FakeClock) -> None:
    await store.enqueue("tg", "8", "ana", "{}")
    assert len(await store.claim("tg", 10, lease=10)) == 1
    for _ in range(5):  # answering takes long; the worker renews as it goes
        clock.advance(8)
        await store.retry("tg", "8", 10)
        assert await store.claim("tg", 10, lease=10) == []


async def test_the_next_sqlite_owner_takes_up_the_last_ones_items_at_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    first = SqliteStore(tmp_path / "s.sqlite3", clock=clock)
    await first.enqueue("tg", "1", "ana", "{}")
    await first.enqueue("tg", "2", "ana", "{}")
    assert len(await first.claim("tg", 10, lease=600)) == 1
    await first.close()  # as if killed: the lease is still in the file
    second = SqliteStore(tmp_path / "s.sqlite3", clock=clock)
    try:
        [item] = await second.claim("tg", 10, lease=600)  # not 600 s later
        assert (item.id, item.attempts) == ("1", 2)
    finally:
        await second.close()


async def test_one_users_items_come_one_at_a_time_in_order(store: Store, clock: FakeClock) -> None:
    for n in range(1, 4):
        await store.enqueue("tg", str(n), "ana", str(n))
    await store.enqueue("tg", "9", "ben", "9")
    taken = await store.claim("tg", 10, lease=30)
    assert [c.id for c in taken] == ["1", "9"]  # ana's 2 waits for her 1; ben is not held up
    await store.retry("tg", "1", delay=5)
    assert await store.claim("tg", 10, lease=30) == []  # 1 waits, and 2 waits behind it
    clock.advance(6)
    assert [c.id for c in await store.claim("tg", 10, lease=30)] == ["1"]
    await store.complete("tg", "1")
    assert [c.id for c in await store.claim("tg", 10, lease=30)] == ["2"]


async def test_two_workers_on_one_redis_never_take_the_same_item(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex}:"
    one, two = RedisStore(redis_url, prefix=prefix), RedisStore(redis_url, prefix=prefix)
    try:
        for n in range(40):
            await one.enqueue("tg", str(n), f"user{n % 8}", str(n))
        taken: list[str] = []
        while len(taken) < 40:
            batch = await asyncio.gather(one.claim("tg", 5, 30), two.claim("tg", 5, 30))
            for claimed in batch:
                for item in claimed:
                    taken.append(item.id)
                    await (one if int(item.id) % 2 else two).complete("tg", item.id)
        assert sorted(taken, key=int) == [str(n) for n in range(40)]
    finally:
        await one.close()
        await two.close()


# Alert subscriptions (issue 16) ------------------------------------------------------------


async def test_subscriptions_are_kept_per_scope_and_end_on_unsubscribe(store: Store) -> None:
    await store.subscribe("k1", "tt", '{"address": "+18685550100"}')
    await store.subscribe("k2", "tt", '{"address": "+18685550101"}')
    await store.subscribe("k1", "jm", '{"address": "+18685550100"}')
    await store.subscribe("k1", "tt", '{"address": "+18685550100", "lang": "es"}')  # replaces
    assert await store.subscribers("tt") == [
        ("k1", '{"address": "+18685550100", "lang": "es"}'),
        ("k2", '{"address": "+18685550101"}'),
    ]
    assert await store.subscribed("k1", "tt") and not await store.subscribed("k3", "tt")
    await store.unsubscribe("k1", "tt")
    assert not await store.subscribed("k1", "tt")
    assert [k for k, _ in await store.subscribers("tt")] == ["k2"]
    assert [k for k, _ in await store.subscribers("jm")] == ["k1"]
    await store.subscribe("k1", "tt", "{}")
    await store.unsubscribe("k1")  # every scope: STOP, a blocked bot, forget-me
    assert await store.subscribers("jm") == [] and [
        k for k, _ in await store.subscribers("tt")
    ] == ["k2"]
