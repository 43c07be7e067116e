"""Subscribing to alerts by keyword and menu, and every way a subscription ends."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.conversation import payloads
from bot.conversation.conversations import Conversations
from bot.conversation.engine import Engine
from bot.conversation.messages import Inbound, Outcome
from bot.conversation.subscriptions import Subscriptions
from bot.library import Library, build_snapshot
from bot.storage import SqliteStore, session_key
from tests.conftest import DATA

SECRET = "a-long-test-session-secret"
NUMBER = "+18685550123"
NOW = datetime(2026, 6, 1).timestamp()


@pytest.fixture
async def talk(tmp_path: Path) -> AsyncIterator[tuple[Conversations, SqliteStore]]:
    knowledge = tmp_path / "kb"
    shutil.copytree(DATA / "mini", knowledge)
    shutil.copytree(DATA / "alerts", knowledge / "alerts")
    store = SqliteStore(tmp_path / "s.sqlite3")
    engine = Engine(Library(build_snapshot(knowledge)), clock=lambda: NOW)
    yield Conversations(engine, store, SECRET, subscriptions=Subscriptions(store)), store
    await store.close()


async def say(conversations: Conversations, text: str, channel: str = "sms") -> list[str]:
    async def texts(outcome: Outcome) -> str:
        return json.dumps([r.text for r in outcome.replies])

    message = Inbound(channel, NUMBER, text=text, country_hint="tt")
    return list(json.loads(await conversations.handle(message, texts)))


async def records(store: SqliteStore) -> list[dict[str, object]]:
    return [json.loads(data) for _key, data in await store.subscribers("tt")]


async def test_the_menu_subscribes_to_the_country_and_stop_alerts_ends_it(
    talk: tuple[Conversations, SqliteStore],
) -> None:
    conversations, store = talk
    menu = await say(conversations, "ALERTS")
    assert "Alerts for Trinidad and Tobago tell you" in menu[-1]
    done = await say(conversations, "1")  # All alerts for Trinidad and Tobago
    assert "You will get alerts for Trinidad and Tobago." in done[-1]
    assert "keeps where to reach you" in done[-1]
    assert await records(store) == [
        {"address": NUMBER, "channel": "sms", "lang": "en", "topics": []}
    ]
    assert "You will get no more alerts." in (await say(conversations, "stop alerts"))[-1]
    assert await records(store) == []


async def test_a_topic_is_chosen_in_spanish_by_keyword_and_menu(
    talk: tuple[Conversations, SqliteStore],
) -> None:
    conversations, store = talk
    menu = await say(conversations, "alertas", channel="whatsapp")
    assert "Las alertas de Trinidad y Tobago" in menu[-1]
    done = await say(conversations, "2", channel="whatsapp")  # Solo: Atención de salud
    assert done[-1].startswith("Recibirá las alertas sobre")
    assert await records(store) == [
        {"address": NUMBER, "channel": "whatsapp", "lang": "es", "topics": ["health"]}
    ]


@pytest.mark.parametrize("ending", ["STOP", "FORGET ME"])
async def test_stop_and_forget_me_end_the_subscription(
    talk: tuple[Conversations, SqliteStore], ending: str
) -> None:
    conversations, store = talk
    await say(conversations, "ALERTS")
    await say(conversations, "1")
    assert len(await records(store)) == 1
    # STOP arrives as the opt-out payload (the SMS channel's keyword, Telegram's block).
    stopped = (
        Inbound("sms", NUMBER, payload=payloads.OPT_OUT)
        if ending == "STOP"
        else Inbound("sms", NUMBER, text=ending)
    )

    async def nothing(outcome: Outcome) -> str:
        return ""

    await conversations.handle(stopped, nothing)
    assert await records(store) == []
    key = session_key(SECRET, "sms", NUMBER)
    assert key not in [k for k, _ in await store.subscribers("tt")]


async def test_a_live_alert_is_shown_once_first_and_an_expired_one_never(
    talk: tuple[Conversations, SqliteStore],
) -> None:
    conversations, _store = talk
    first = await say(conversations, "where can i see a doctor")
    assert (
        first[0]
        == "Alert: Example Clinic closed by flooding. Public hospital ERs treat urgent cases."
    )
    assert "Registration office" not in " ".join(first)  # mini-tt-expired has expired
    again = await say(conversations, "where can i see a doctor")
    assert not any(text.startswith("Alert:") for text in again)
