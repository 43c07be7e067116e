"""The broadcast queue against a local Twilio fake: the 24-hour rule, expiry, 429s, restarts."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram.error import RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.channels.alert_send import AlertSender
from bot.channels.broadcast import Broadcaster
from bot.channels.twilio_send import TwilioRest
from bot.channels.whatsapp_window import Window
from bot.library import Library, build_snapshot
from bot.reports.alerts import document, tally
from bot.storage import RedisStore, SqliteStore, Store
from tests.conftest import DATA, FakeClock
from tests.fake_twilio import ACCOUNT, SMS_FROM, TOKEN, WHATSAPP_FROM, Twilio
from tests.servers import running

TEMPLATE = "HX" + "a" * 32


class MovingClock(FakeClock):
    """Real time, moved by hand: retries fall due as they would, expiry is tested at will."""

    def __init__(self) -> None:
        super().__init__(0.0)

    def __call__(self) -> float:
        return time.time() + self.now


@dataclass
class Setup:
    library: Library
    store: Store
    clock: MovingClock
    twilio: Twilio
    twilio_url: str

    def broadcaster(
        self, store: Store | None = None, mps: float = 50.0, **extra: Any
    ) -> Broadcaster:
        store = store or self.store
        rest = TwilioRest(ACCOUNT, TOKEN, SMS_FROM, WHATSAPP_FROM, self.twilio_url)
        sender = AlertSender(
            twilio=rest,
            window=Window(store, self.clock),
            twilio_mps=mps,
            templates={"alert:es": TEMPLATE},
            **extra,
        )
        return Broadcaster(self.library, store, sender, clock=self.clock)

    async def subscribe(self, key: str, channel: str, address: str, lang: str = "en") -> None:
        data = {"channel": channel, "address": address, "lang": lang, "topics": []}
        await self.store.subscribe(key, "tt", json.dumps(data))


@pytest.fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    knowledge = tmp_path / "kb"
    shutil.copytree(DATA / "mini", knowledge)
    shutil.copytree(DATA / "alerts", knowledge / "alerts")
    clock = MovingClock()
    store = SqliteStore(tmp_path / "s.sqlite3", clock=clock)
    twilio = Twilio()
    async with running(twilio.app()) as url:
        yield Setup(Library(build_snapshot(knowledge)), store, clock, twilio, url)
    await store.close()
    assert twilio.unexpected == []


async def settle(*broadcasters: Broadcaster, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not all([await b.idle() for b in broadcasters]):
        assert time.monotonic() < deadline, "the send queues did not empty in time"
        await asyncio.sleep(0.02)


async def events(store: Store) -> list[dict[str, Any]]:
    return [json.loads(data) for _at, data in await store.records("alerts:events")]


async def test_whatsapp_outside_24_hours_goes_only_as_a_template_or_is_held(setup: Setup) -> None:
    window = Window(setup.store, setup.clock)
    setup.clock.advance(-25 * 3600)
    await window.saw("old-es")
    await window.saw("old-en")
    setup.clock.advance(24 * 3600)
    await window.saw("recent")
    setup.clock.advance(3600)
    await setup.subscribe("recent", "whatsapp", "+18685550101")
    await setup.subscribe("old-es", "whatsapp", "+18685550102", "es")
    await setup.subscribe("old-en", "whatsapp", "+18685550103")
    broadcaster = setup.broadcaster()
    assert await broadcaster.fan_out() == 3
    await broadcaster.start()
    await settle(broadcaster)
    await broadcaster.stop()
    [free] = setup.twilio.to("whatsapp:+18685550101")
    assert (
        free["Body"].startswith("⚠️ *Alert*\nExample Clinic is closed") and "ContentSid" not in free
    )
    [template] = setup.twilio.to("whatsapp:+18685550102")
    assert template["ContentSid"] == TEMPLATE and "Body" not in template
    assert json.loads(template["ContentVariables"])["1"].startswith("La Clínica Ejemplo")
    assert setup.twilio.to("whatsapp:+18685550103") == []
    [held] = [e for e in await events(setup.store) if e["state"] == "held"]
    assert "outside WhatsApp's 24-hour window" in held["reason"] and "alert:en" in held["reason"]
    shown = document(
        setup.library.current.base.alerts,
        tally([json.dumps(e) for e in await events(setup.store)]),
        setup.clock(),
    )
    row = next(line for line in shown.splitlines() if line.startswith("mini-tt-flood"))
    assert row.split()[1:7] == ["live", "3", "2", "0", "1", "0"]


async def test_an_expired_alert_is_never_sent(setup: Setup) -> None:
    await setup.subscribe("k1", "sms", "+18685550101")
    broadcaster = setup.broadcaster()
    assert await broadcaster.fan_out() == 1  # mini-tt-expired is not even queued
    setup.clock.advance(4_102_444_800.0 - time.time())  # 2100: mini-tt-flood has expired
    await broadcaster.start()
    await settle(broadcaster)
    await broadcaster.stop()
    assert setup.twilio.messages == []
    assert [e["state"] for e in await events(setup.store)] == ["queued", "expired"]


async def test_a_429_is_waited_out_and_the_message_sent_once(setup: Setup) -> None:
    setup.twilio.too_many = 1
    await setup.subscribe("k1", "sms", "+18685550101")
    broadcaster = setup.broadcaster()
    await broadcaster.fan_out()
    await broadcaster.start()
    await settle(broadcaster)
    await broadcaster.stop()
    assert setup.twilio.too_many == 0 and len(setup.twilio.to("+18685550101")) == 1


class RetryingBot:
    """A Telegram bot that asks to wait once (429 retry_after), then accepts everything."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str]] = []
        self.refused = 0

    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> None:
        if not self.refused:
            self.refused += 1
            with warnings.catch_warnings():  # python-telegram-bot 22 warns about its int form
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                error = RetryAfter(timedelta(seconds=1))
            raise error
        self.sent.append((chat_id, text))


async def test_telegram_retry_after_is_obeyed(setup: Setup) -> None:
    bot = RetryingBot()
    await setup.subscribe("k1", "telegram", "42")
    broadcaster = setup.broadcaster(telegram_bot=bot)
    await broadcaster.fan_out()
    started = time.monotonic()
    await broadcaster.start()
    await settle(broadcaster)
    await broadcaster.stop()
    assert bot.refused == 1 and [chat for chat, _ in bot.sent] == [42]
    assert time.monotonic() - started >= 0.9  # waited the second Telegram asked for


async def test_a_stop_midway_and_a_restart_send_each_recipient_exactly_once(
    setup: Setup,
) -> None:
    numbers = [f"+1868555{n:04d}" for n in range(60)]
    for n, number in enumerate(numbers):
        await setup.subscribe(f"k{n}", "sms", number)
    first = setup.broadcaster(mps=40)
    await first.fan_out()
    await first.start()
    await setup.twilio.wait_messages(15)
    await first.stop()  # as on SIGTERM: sends under way finish, the rest are given back
    sent_before = len(setup.twilio.messages)
    assert sent_before < len(numbers)
    second = setup.broadcaster(mps=40)
    await second.fan_out()  # a second fan-out adds nothing
    await second.start()
    await settle(second)
    await second.stop()
    assert sorted(m["To"] for m in setup.twilio.messages) == sorted(numbers)


async def test_two_processes_on_one_redis_share_the_work_each_recipient_once(
    setup: Setup, redis_url: str
) -> None:
    prefix = f"test-{uuid.uuid4().hex}:"
    stores = [RedisStore(redis_url, prefix=prefix, clock=setup.clock) for _ in range(2)]
    setup.store = stores[0]
    numbers = [f"+1868556{n:04d}" for n in range(40)]
    for n, number in enumerate(numbers):
        await setup.subscribe(f"k{n}", "sms", number)
    workers = [setup.broadcaster(store, mps=40) for store in stores]
    await asyncio.gather(*(w.fan_out() for w in workers))
    for worker in workers:
        await worker.start()
    await settle(*workers)
    for worker in workers:
        await worker.stop()
    for store in stores:
        await store.close()
    assert sorted(m["To"] for m in setup.twilio.messages) == sorted(numbers)
