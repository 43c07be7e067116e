"""Human handover end to end: real HTTP in, the Bot API fake's forum group and Twilio's fake out.

An SMS or Telegram user asks for a person, a topic appears in the moderators' group, the
moderator's reply reaches the user (by Twilio's REST API for SMS), the bot stays quiet, and
/close gives the conversation back to the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.library import build_snapshot
from bot.settings import Settings
from bot.storage import RedisStore, Store
from bot.web import create_app
from bot.wiring import build
from tests.conftest import DATA, FakeClock
from tests.fake_bot_api import TOKEN, BotApi
from tests.fake_twilio_api import ACCOUNT, AUTH, TwilioApi
from tests.servers import running

SECRET = "webhook-secret_1"
PUBLIC = "https://puente.example.org"
MODS = -1001234567890
NUMBER = "+18685550177"
_ids = itertools.count(70_000)


def settings_for(bot_url: str, twilio_url: str, store: str, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": bot_url + "/bot",
            "TWILIO_AUTH_TOKEN": AUTH,
            "PUBLIC_BASE_URL": PUBLIC,
            "SESSION_SECRET": "a-long-test-session-secret",
            "SESSION_STORE": store,
            "MODERATORS_CHAT_ID": str(MODS),
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_FROM_NUMBER": "+18685550100",
            "TWILIO_API_BASE_URL": twilio_url,
            **extra,
        },
        DATA / "mini",
    )


@dataclass
class Desk:
    """The service(s), the moderators' group and the user's phone, all over HTTP."""

    urls: list[str]
    apps: list[Any]
    bot: BotApi
    twilio: TwilioApi
    http: httpx.AsyncClient
    clock: FakeClock

    async def sms(self, body: str, server: int = 0, number: str = NUMBER) -> str:
        """An SMS from the user; the text of the TwiML reply."""
        params = {"MessageSid": f"SM{next(_ids):032d}", "From": number, "Body": body}
        signature = RequestValidator(AUTH).compute_signature(PUBLIC + "/sms", params)
        response = await self.http.post(
            self.urls[server] + "/sms", data=params, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 200, response.text
        return html.unescape(
            " | ".join(re.findall(r"<Message>(.*?)</Message>", response.text, re.S))
        )

    async def telegram(self, update: dict[str, Any], server: int = 0) -> None:
        response = await self.http.post(
            self.urls[server] + "/telegram",
            json=update,
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert response.status_code == 200

    async def moderator(self, thread: int, text: str, who: str = "Marta", server: int = 0) -> None:
        """A moderator writes in a topic of the group."""
        await self.telegram(group_update(thread, text, who), server)

    async def settled(self, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        for app in self.apps:
            while not await app.state.inbox.idle():
                assert time.monotonic() < deadline, "updates still waiting"
                await asyncio.sleep(0.02)


def group_update(thread: int, text: str, who: str) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "from": {"id": 900 + len(who), "is_bot": False, "first_name": who},
        "chat": {"id": MODS, "type": "supergroup", "title": "Moderators", "is_forum": True},
        "message_thread_id": thread,
        "is_topic_message": True,
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": next(_ids), "message": message}


def private_update(text: str, chat_id: int = 4242) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Ana", "language_code": "es"}
    return {
        "update_id": next(_ids),
        "message": {
            "message_id": next(_ids),
            "date": int(time.time()),
            "from": user,
            "chat": {"id": chat_id, "type": "private"},
            "text": text,
        },
    }


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with service(str(tmp_path / "sessions.sqlite3")) as running_desk:
        yield running_desk


def _build(settings: Settings, clock: FakeClock, store: Store | None = None) -> Any:
    return create_app(build(settings, build_snapshot(DATA / "mini"), store, clock), watch=False)


@contextlib.asynccontextmanager
async def service(store: str, count: int = 1, **extra: str) -> AsyncIterator[Desk]:
    bot, twilio, clock = BotApi(), TwilioApi(), FakeClock(at_noon_on_a_monday())
    async with running(bot.app()) as bot_url, running(twilio.app()) as twilio_url:
        settings = settings_for(bot_url, twilio_url, store, **extra)
        if store.startswith("redis://"):
            prefix = f"test-{uuid.uuid4().hex}:"
            apps = [_build(settings, clock, RedisStore(store, prefix)) for _ in range(count)]
        else:
            apps = [_build(settings, clock)]
        async with contextlib.AsyncExitStack() as stack:
            urls = [await stack.enter_async_context(running(app)) for app in apps]
            http = await stack.enter_async_context(httpx.AsyncClient())
            yield Desk(urls, apps, bot, twilio, http, clock)
    assert bot.unexpected == [] and twilio.unexpected == []


def at_noon_on_a_monday() -> float:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime(2026, 12, 7, 12, 0, tzinfo=ZoneInfo("America/Port_of_Spain")).timestamp()


def everything_the_group_saw(bot: BotApi) -> str:
    texts = [p["text"] for m, p in bot.calls if m == "sendMessage" and int(p["chat_id"]) == MODS]
    return "\n".join([*texts, *bot.topics.values()])


async def test_an_sms_user_gets_a_person_and_then_the_bot_again(desk: Desk) -> None:
    assert "Lost passport" in await desk.sms("lost passport in trinidad")
    asked = await desk.sms("quiero hablar con una persona")
    assert "He pedido a una persona" in asked
    thread = await desk.bot.wait_topic()
    intro = await desk.bot.wait_in_topic(thread, "Alias: u")
    assert "lost passport in trinidad → mini-tt-passport" in intro[0]
    assert "sms" in desk.bot.topics[thread] and "TT" in desk.bot.topics[thread]

    await desk.moderator(thread, "Hola, soy Marta. ¿En qué ciudad está?")
    [first] = await desk.twilio.wait_to(NUMBER, 1)
    assert first.startswith("Una persona de nuestro equipo se ha unido")
    assert "soy Marta" in first and desk.twilio.messages[0]["From"] == "+18685550100"
    await desk.bot.wait_in_topic(thread, "Marta now holds this conversation")

    quiet = await desk.sms("estoy en San Fernando, necesito un medico")
    assert quiet == ""  # a person holds it: the bot does not answer
    await desk.bot.wait_in_topic(thread, "estoy en San Fernando, necesito un medico")

    await desk.moderator(thread, "Ya le escribo", who="Luis")
    await desk.bot.wait_in_topic(thread, "Marta holds this conversation; your message was not sent")

    await desk.moderator(thread, "/close")
    closed = await desk.twilio.wait_to(NUMBER, 2)
    assert "ha terminado la conversacion" in closed[1]  # GSM-7: no accents that cost
    await desk.settled()
    assert desk.bot.closed(thread)
    assert "Lost passport" in await desk.sms("lost passport in trinidad")
    await desk.moderator(thread, "¿sigue ahí?")
    await desk.bot.wait_in_topic(thread, "This conversation is closed")
    await desk.settled()
    assert len(desk.twilio.to(NUMBER)) == 2  # nothing reaches a user no longer in handover
    assert "5550177" not in everything_the_group_saw(desk.bot)


async def test_a_telegram_user_gets_a_person_and_then_the_bot_again(desk: Desk) -> None:
    await desk.telegram(private_update("necesito hablar con alguien"))
    thread = await desk.bot.wait_topic()
    [asked] = await desk.bot.wait_sent(1, 4242)
    assert "He pedido a una persona" in asked["text"]
    assert "telegram" in desk.bot.topics[thread]

    await desk.moderator(thread, "Hola, soy Marta")
    sent = await desk.bot.wait_sent(2, 4242)
    assert "se ha unido" in sent[1]["text"] and "soy Marta" in sent[1]["text"]

    await desk.telegram(private_update("gracias, tengo una pregunta"))
    await desk.bot.wait_in_topic(thread, "gracias, tengo una pregunta")
    await desk.settled()
    assert len(desk.bot.sent(4242)) == 2  # the bot stayed quiet

    await desk.moderator(thread, "/close")
    sent = await desk.bot.wait_sent(3, 4242)
    assert "ha terminado la conversación" in sent[2]["text"]
    await desk.telegram(private_update("lost passport in trinidad"))
    sent = await desk.bot.wait_sent(4, 4242)
    assert "Lost passport" in sent[3]["text"]
    assert "4242" not in everything_the_group_saw(desk.bot)


async def test_two_processes_on_redis_behave_as_one(redis_url: str) -> None:
    async with service(redis_url, count=2) as desk:
        assert "He pedido a una persona" in await desk.sms("quiero hablar con una persona", 1)
        thread = await desk.bot.wait_topic()
        await desk.moderator(thread, "Hola desde A", server=0)  # received by the other process
        [first] = await desk.twilio.wait_to(NUMBER, 1)
        assert "Hola desde A" in first
        assert await desk.sms("gracias", 0) == ""
        await desk.bot.wait_in_topic(thread, "gracias")
        await desk.moderator(thread, "/close", server=1)
        await desk.twilio.wait_to(NUMBER, 2)
        assert "Lost passport" in await desk.sms("lost passport in trinidad", 0)


async def test_out_of_hours_the_user_is_told_when_people_answer(tmp_path: Path) -> None:
    store = str(tmp_path / "sessions.sqlite3")
    async with service(store, HANDOVER_HOURS="sat-sun 09:00-13:00") as desk:
        await desk.sms("lost passport in trinidad")
        away = await desk.sms("quiero hablar con una persona")
        hours = r"atienden s\S+-dom\S* 09:00-13:00 \(hora de America/Port_of_Spain\)"
        assert re.search(hours, away)
        assert desk.bot.topics == {}
        assert "Lost passport" in await desk.sms("lost passport in trinidad")  # not held


async def test_forget_me_during_a_handover_closes_the_topic_and_deletes_the_relay(
    desk: Desk,
) -> None:
    await desk.sms("quiero hablar con una persona")
    thread = await desk.bot.wait_topic()
    store = desk.apps[0].state.conversations.store
    assert await store.load("handover:open") not in (None, "[]")
    assert "Listo: borr" in await desk.sms("OLVIDAME")
    await desk.bot.wait_in_topic(thread, "asked to be forgotten")
    assert desk.bot.closed(thread)
    assert await store.load("handover:open") == "[]"
    assert await store.load(f"handover-thread:{thread}") is None
    await desk.moderator(thread, "¿sigue ahí?")
    await desk.bot.wait_in_topic(thread, "This conversation is closed")
    await desk.settled()
    assert desk.twilio.messages == []


async def test_a_waiting_conversation_is_recalled_then_given_back_when_idle(desk: Desk) -> None:
    await desk.sms("quiero hablar con una persona")
    thread = await desk.bot.wait_topic()
    handovers = desk.apps[0].state.handover.handovers
    desk.clock.advance(61 * 60)
    await handovers.sweep()
    await handovers.sweep()  # a second sweep, or a second process, reminds no more
    texts = await desk.bot.wait_in_topic(thread, "has waited 61 minutes")
    assert sum("Reminder" in t for t in texts) == 1
    desk.clock.advance(24 * 3600)
    await handovers.sweep()
    [idle] = await desk.twilio.wait_to(NUMBER, 1)
    assert "Nadie ha escrito en un dia" in idle
    assert desk.bot.closed(thread)
    assert "Lost passport" in await desk.sms("lost passport in trinidad")
    metrics = (await desk.http.get(desk.urls[0] + "/metrics")).text
    assert 'puente_handovers_opened_total{channel="sms"} 1.0' in metrics
    assert 'puente_handovers_closed_total{outcome="idle"} 1.0' in metrics


async def test_a_person_is_offered_after_two_not_sure_and_with_every_emergency(
    desk: Desk,
) -> None:
    assert "person" not in await desk.sms("zqxv wobble frumious")
    second = await desk.sms("blorp snark quux")
    assert "Talk to a person" in second or "persona" in second
    emergency = await desk.sms("help someone is attacking me right now in trinidad")
    assert "999" in emergency and ("Talk to a person" in emergency)


async def test_the_handovers_report_lists_them_by_country_and_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    store = str(tmp_path / "sessions.sqlite3")
    async with service(store) as desk:
        await desk.sms("lost passport in trinidad")
        await desk.sms("quiero hablar con una persona")
        thread = await desk.bot.wait_topic()
        desk.clock.advance(600)
        await desk.moderator(thread, "Hola")
        await desk.twilio.wait_to(NUMBER, 1)
        await desk.moderator(thread, "/close")
        await desk.twilio.wait_to(NUMBER, 2)
        await desk.sms("quiero hablar con una persona", number="+18765550123")  # no country
    assert await asyncio.to_thread(main, ["report", "handovers", "--store", store]) == 0
    out = capsys.readouterr().out
    [tt] = [line for line in out.splitlines() if line.startswith("tt")]
    assert tt.split()[:5] == ["tt", "1", "1", "0", "1"] and tt.split()[-1] == "10.0"
    assert "Hola" not in out and "5550177" not in out
    page = tmp_path / "handovers.html"
    html_args = ["report", "handovers", "--store", store, "--html", str(page)]
    assert await asyncio.to_thread(main, html_args) == 0
    assert "Handovers" in page.read_text()


async def test_a_moderator_opens_a_conversation_from_the_unanswered_reports_alias(
    desk: Desk,
) -> None:
    from bot.conversation.unanswered import pseudonym
    from bot.storage import session_key

    assert await desk.sms("where can I fix my fridge")  # not answered: in the report by alias
    alias = pseudonym(session_key("a-long-test-session-secret", "sms", NUMBER))
    general = group_update(0, f"/open {alias}", "Marta")
    del general["message"]["message_thread_id"], general["message"]["is_topic_message"]
    await desk.telegram(general)
    sent = [p["text"] for m, p in desk.bot.calls if m == "sendMessage"]
    deadline = time.monotonic() + 10
    while not any("when they next write" in t for t in sent):
        assert time.monotonic() < deadline, sent
        await asyncio.sleep(0.02)
        sent = [p["text"] for m, p in desk.bot.calls if m == "sendMessage"]
    assert desk.bot.topics == {}  # nothing is sent to the user first: no address is kept

    reply = await desk.sms("lost passport in trinidad")
    assert "Lost passport" in reply and "asked a person" in reply  # answered, and told
    thread = await desk.bot.wait_topic()
    await desk.bot.wait_in_topic(thread, f"Alias: {alias}")
    await desk.moderator(thread, "Hello, I am Marta. Did the police give you a report?")
    [first] = await desk.twilio.wait_to(NUMBER, 1)
    assert "Did the police give you a report?" in first
    assert "5550177" not in everything_the_group_saw(desk.bot)
