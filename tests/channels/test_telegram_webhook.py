"""Telegram end to end: real HTTP in, the real python-telegram-bot client out to a Bot API fake."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.library import build_snapshot
from bot.settings import Settings
from bot.web import create_app
from bot.wiring import build
from tests.conftest import DATA
from tests.fake_bot_api import TOKEN, BotApi
from tests.servers import running

SECRET = "webhook-secret_1"
_update_ids = itertools.count(1000)


@dataclass
class Service:
    url: str
    api: BotApi
    http: httpx.AsyncClient
    app: Any

    async def settled(self, seconds: float = 10.0) -> None:
        """Wait, with a deadline, until every accepted update has been fully handled."""
        deadline = time.monotonic() + seconds
        while not await self.app.state.inbox.idle():
            assert time.monotonic() < deadline, "updates still waiting in the inbox"
            await asyncio.sleep(0.02)

    async def post(self, update: dict[str, Any], secret: str = SECRET) -> httpx.Response:
        return await self.http.post(
            self.url + "/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}
        )


def settings_for(api_url: str, store: Path) -> Settings:
    """Settings that point python-telegram-bot at the local Bot API server."""
    return Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": api_url + "/bot",
            "SESSION_SECRET": "a-long-test-session-secret",
            "SESSION_STORE": str(store),
        },
        DATA / "mini",
    )


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    api = BotApi()
    async with running(api.app()) as api_url:
        settings = settings_for(api_url, tmp_path / "sessions.sqlite3")
        app = create_app(build(settings, build_snapshot(DATA / "mini")), watch=False)
        async with running(app) as url, httpx.AsyncClient() as http:
            yield Service(url, api, http, app)
    assert api.unexpected == []


def text_update(text: str, chat_id: int = 42, chat_type: str = "private") -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Ana", "language_code": "es"}
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "date": int(time.time()),
            "from": user,
            "chat": {"id": chat_id, "type": chat_type},
            "text": text,
        },
    }


async def test_a_question_is_answered_with_html_and_buttons(service: Service) -> None:
    response = await service.post(text_update("necesito un medico para mi hijo en trinidad"))
    assert response.status_code == 200
    [sent] = await service.api.wait_sent(1, 42)
    assert sent["parse_mode"] == "HTML"
    assert "<b>Ver a un médico en una clínica</b>" in sent["text"]
    assert "La Clínica Ejemplo atiende gratis" in sent["text"]
    buttons = [b["callback_data"] for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons[:2] == ["feedback:yes", "feedback:no"]
    assert "lang" in buttons and "country" in buttons


async def test_forged_secret_is_rejected_and_nothing_is_sent(service: Service) -> None:
    response = await service.post(text_update("hola"), secret="wrong")
    assert response.status_code == 403
    missing = await service.http.post(service.url + "/telegram", json=text_update("hola"))
    assert missing.status_code == 403
    await service.settled()
    assert service.api.sent() == []


async def test_redelivered_update_is_answered_once(service: Service) -> None:
    update = text_update("hola", chat_id=7)
    assert (await service.post(update)).status_code == 200
    assert (await service.post(update)).status_code == 200
    await service.api.wait_sent(1, 7)
    await service.settled()
    assert len(service.api.sent(7)) == 1


async def test_button_tap_answers_the_callback_and_follows_it(service: Service) -> None:
    user = {"id": 9, "is_bot": False, "first_name": "Jo"}
    update = {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": "cb1",
            "from": user,
            "chat_instance": "ci",
            "data": "entry:mini-tt-passport",
            "message": {
                "message_id": 5,
                "date": int(time.time()),
                "chat": {"id": 9, "type": "private"},
                "text": "menu",
            },
        },
    }
    assert (await service.post(update)).status_code == 200
    [sent] = await service.api.wait_sent(1, 9)
    assert "Lost passport" in sent["text"]
    assert any(m == "answerCallbackQuery" for m, _ in service.api.calls)


async def test_stickers_get_a_polite_reply_and_groups_are_ignored(service: Service) -> None:
    sticker = text_update("", chat_id=11)
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {
        "file_id": "f",
        "file_unique_id": "u",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    assert (await service.post(sticker)).status_code == 200
    [sent] = await service.api.wait_sent(1, 11)
    assert "Solo puedo leer mensajes de texto" in sent["text"]  # her app is in Spanish
    group = text_update("hello everyone", chat_id=-100, chat_type="group")
    assert (await service.post(group)).status_code == 200
    await service.settled()
    assert service.api.sent(-100) == []


async def test_blocked_user_gets_nothing_until_they_write_again(service: Service) -> None:
    user = {"id": 13, "is_bot": False, "first_name": "Max"}
    member = {"user": {"id": 123456, "is_bot": True, "first_name": "Puente"}}
    kicked = {
        "update_id": next(_update_ids),
        "my_chat_member": {
            "chat": {"id": 13, "type": "private"},
            "from": user,
            "date": int(time.time()),
            "old_chat_member": {**member, "status": "member"},
            "new_chat_member": {**member, "status": "kicked", "until_date": 0},
        },
    }
    assert (await service.post(kicked)).status_code == 200
    await service.settled()
    assert service.api.sent(13) == []
    assert (
        await service.post(text_update("lost passport in trinidad", chat_id=13))
    ).status_code == 200
    [sent] = await service.api.wait_sent(1, 13)
    assert "passport" in sent["text"].lower()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"", "application/json"),
        (b"[1, 2]", "application/json"),
        (b'{"update_id": "x"}', "application/json"),
        (b"text", "text/plain"),
    ],
)
async def test_malformed_updates_get_4xx_never_500(
    service: Service, body: bytes, content_type: str
) -> None:
    response = await service.http.post(
        service.url + "/telegram",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": content_type},
    )
    assert 400 <= response.status_code < 500


async def test_unknown_update_types_and_huge_messages_never_break(service: Service) -> None:
    odd = {
        "update_id": next(_update_ids),
        "poll": {
            "id": "p",
            "question": "?",
            "options": [],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": True,
            "type": "regular",
            "allows_multiple_answers": False,
        },
    }
    assert (await service.post(odd)).status_code == 200
    huge = text_update("I need help. " * 420 + "I lost my passport", chat_id=21)
    assert (await service.post(huge)).status_code == 200
    sent = await service.api.wait_sent(1, 21)
    assert all(len(m["text"]) <= 4096 for m in sent)


async def test_health_and_metrics(service: Service) -> None:
    health = (await service.http.get(service.url + "/healthz")).json()
    assert health["status"] == "ok" and health["entries"] == 4
    await service.post(text_update("lost passport", chat_id=31))
    await service.api.wait_sent(1, 31)
    metrics = (await service.http.get(service.url + "/metrics")).text
    assert 'puente_messages_total{channel="telegram"}' in metrics
    assert "puente_handle_seconds_bucket" in metrics


async def test_set_webhook_registers_the_secret_and_commands_in_every_language(
    tmp_path: Path,
) -> None:
    from bot.channels.telegram import register
    from bot.wiring import telegram_registrar

    api = BotApi()
    async with running(api.app()) as api_url:
        settings = settings_for(api_url, tmp_path / "s.sqlite3")
        snapshot = build_snapshot(DATA / "mini")
        application = telegram_registrar(settings)
        locales = snapshot.locales
        translations = {
            code: (lambda text, code=code: locales.text(code, text)) for code in locales.catalogs
        }
        async with application:
            await register(application, "https://puente.example.org/telegram", SECRET, translations)
    [webhook] = [p for m, p in api.calls if m == "setWebhook"]
    assert webhook["url"] == "https://puente.example.org/telegram"
    assert webhook["secret_token"] == SECRET
    commands = {p.get("language_code"): p["commands"] for m, p in api.calls if m == "setMyCommands"}
    assert set(commands) == {None, "es", "fr", "ht", "nl", "pap", "pt"}
    spanish = {c["command"]: c["description"] for c in commands["es"]}
    assert spanish["language"] == "Cambiar idioma"
    english = {c["command"]: c["description"] for c in commands[None]}
    for code in ("es", "fr", "ht", "nl", "pap", "pt"):
        described = {c["command"]: c["description"] for c in commands[code]}
        untranslated = [name for name, text in described.items() if text == english[name]]
        assert untranslated == [], (code, untranslated)
    assert api.unexpected == []


async def test_edited_messages_are_not_answered_again(service: Service) -> None:
    update = text_update("where is a doctor", chat_id=51)
    update["edited_message"] = {**update.pop("message"), "edit_date": 1_700_000_100}
    assert (await service.post(update)).status_code == 200
    await service.settled()
    assert service.api.sent(51) == []


async def wait_for(condition: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def test_updates_accepted_while_the_bot_api_is_down_are_answered_once_it_is_back(
    service: Service,
) -> None:
    service.api.down = True
    for chat in range(61, 66):
        assert (
            await service.post(text_update("lost passport in trinidad", chat))
        ).status_code == 200
    await wait_for(lambda: service.api.refused >= 5)
    service.api.down = False
    for chat in range(61, 66):
        await service.api.wait_sent(1, chat, seconds=20)
    await service.settled(20)
    assert [len(service.api.sent(chat)) for chat in range(61, 66)] == [1] * 5


async def test_accepted_updates_outlive_the_process_that_accepted_them(tmp_path: Path) -> None:
    api = BotApi(down=True)
    store = tmp_path / "sessions.sqlite3"
    async with running(api.app()) as api_url:
        settings = settings_for(api_url, store)
        first = create_app(build(settings, build_snapshot(DATA / "mini")), watch=False)
        async with running(first) as url, httpx.AsyncClient() as http:
            for chat in (71, 72, 73):
                update = text_update("lost passport in trinidad", chat)
                headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
                response = await http.post(url + "/telegram", json=update, headers=headers)
                assert response.status_code == 200
            await wait_for(lambda: api.refused >= 3)
        # The first process is gone with nothing sent; the next one to start answers.
        assert api.sent() == []
        api.down = False
        second = create_app(build(settings, build_snapshot(DATA / "mini")), watch=False)
        async with running(second):
            for chat in (71, 72, 73):
                await api.wait_sent(1, chat, seconds=20)
    assert [len(api.sent(chat)) for chat in (71, 72, 73)] == [1, 1, 1]
    assert api.unexpected == []


async def test_one_chats_updates_are_answered_in_the_order_sent(service: Service) -> None:
    texts = ["lost passport in trinidad", "where is a doctor in trinidad"] * 10
    for text in texts:
        assert (await service.post(text_update(text, chat_id=81))).status_code == 200
    sent = await service.api.wait_sent(20, 81, seconds=30)
    kinds = ["passport" if "passport" in m["text"].lower() else "doctor" for m in sent]
    assert kinds == ["passport", "doctor"] * 10


async def test_a_full_inbox_answers_503_so_telegram_delivers_later(service: Service) -> None:
    service.api.down = True
    service.app.state.inbox.max_pending = 2
    codes = [
        (await service.post(text_update("lost passport in trinidad", chat))).status_code
        for chat in (91, 92, 93)
    ]
    assert codes == [200, 200, 503]
    service.api.down = False
    await service.settled(20)
    assert service.api.sent(93) == []  # never accepted, so never promised


async def test_an_hours_old_update_is_answered_with_an_apology_first(service: Service) -> None:
    update = text_update("lost passport in trinidad", chat_id=95)
    update["message"]["date"] = int(time.time()) - 3 * 3600
    assert (await service.post(update)).status_code == 200
    note, answer = await service.api.wait_sent(2, 95)
    assert note["text"].startswith("Sorry for the late reply")  # the message was English
    assert "pasaporte" in answer["text"].lower() or "passport" in answer["text"].lower()


async def test_json_nested_a_thousand_deep_is_a_400_not_a_500(service: Service) -> None:
    body = b'{"update_id": 1, "x": ' + b"[" * 1000 + b"]" * 1000 + b"}"
    response = await service.http.post(
        service.url + "/telegram",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


async def test_a_chunked_update_over_the_limit_is_refused(service: Service) -> None:
    async def big() -> AsyncIterator[bytes]:
        for _ in range(2_000):
            yield b" " * 1024

    response = await service.http.post(
        service.url + "/telegram",
        content=big(),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_forget_deletes_before_it_confirms_even_when_the_confirmation_is_late(
    tmp_path: Path,
) -> None:
    import sqlite3

    api = BotApi()
    store = tmp_path / "sessions.sqlite3"
    async with running(api.app()) as api_url:
        settings = settings_for(api_url, store)
        app = create_app(build(settings, build_snapshot(DATA / "mini")), watch=False)
        async with running(app) as url, httpx.AsyncClient() as http:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            asked = text_update("my name is Rosa Diaz and I need a hospital in trinidad", 97)
            await http.post(url + "/telegram", json=asked, headers=headers)
            await api.wait_sent(1, 97)
            api.down = True
            forget = text_update("/forget", 97)
            forget["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 7}]
            await http.post(url + "/telegram", json=forget, headers=headers)
            await wait_for(lambda: api.refused >= 1)
            with sqlite3.connect(store) as db:  # gone although nothing could be said yet
                assert db.execute("SELECT count(*) FROM sessions").fetchone() == (0,)
            api.down = False
            sent = await api.wait_sent(2, 97, seconds=20)
    assert sent[-1]["text"].startswith("Listo: borré")  # her app is in Spanish


def tap(data: str, chat_id: int) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Ana", "language_code": "es"}
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cb{next(_update_ids)}",
            "from": user,
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": 5,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": "...",
            },
        },
    }


async def test_script_no_country_then_a_button_then_danger(service: Service) -> None:
    chat = 101
    await service.post(text_update("necesito un medico para mi hijo", chat))
    [asked] = await service.api.wait_sent(1, chat)
    assert asked["text"] == "¿En qué país está? Le respondo para ese país."
    buttons = [b["callback_data"] for row in asked["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["country:jm", "country:tt", "country:none"]
    await service.post(tap("country:tt", chat))
    _, said, answer = await service.api.wait_sent(3, chat)
    assert said["text"] == "Respondo para Trinidad y Tobago. Escriba PAÍS para cambiarlo."
    assert "La Clínica Ejemplo atiende gratis" in answer["text"]
    await service.post(text_update("mi esposo me esta golpeando", chat))
    sent = await service.api.wait_sent(4, chat)
    assert "999" in sent[3]["text"] and "Trinidad" in sent[3]["text"]  # the numbers, first
    await service.settled()
    before = len(service.api.sent(chat))
    # A button of an older message still means what it said.
    await service.post(tap("entry:mini-tt-passport", chat))
    sent = await service.api.wait_sent(before + 1, chat)
    assert "Pasaporte perdido" in sent[-1]["text"] or "passport" in sent[-1]["text"].lower()


async def test_two_processes_on_redis_answer_one_chats_updates_in_order(redis_url: str) -> None:
    import uuid

    from bot.storage import RedisStore

    api = BotApi()
    async with running(api.app()) as api_url:
        settings = settings_for(api_url, Path("unused.sqlite3"))
        prefix = f"test-{uuid.uuid4().hex}:"
        apps = [
            create_app(
                build(settings, build_snapshot(DATA / "mini"), store=RedisStore(redis_url, prefix)),
                watch=False,
            )
            for _ in range(2)
        ]
        async with running(apps[0]) as one, running(apps[1]) as two, httpx.AsyncClient() as http:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            texts = ["lost passport in trinidad", "where is a doctor in trinidad"] * 10
            for n, text in enumerate(texts):  # interleaved between the two processes
                url = (one, two)[n % 2]
                response = await http.post(
                    url + "/telegram", json=text_update(text, 121), headers=headers
                )
                assert response.status_code == 200
            sent = await api.wait_sent(20, 121, seconds=40)
    kinds = ["passport" if "passport" in m["text"].lower() else "doctor" for m in sent]
    assert kinds == ["passport", "doctor"] * 10
    assert len(api.sent(121)) == 20  # each answered once


async def test_an_update_refused_when_full_is_accepted_and_answered_when_redelivered(
    service: Service,
) -> None:
    service.api.down = True
    service.app.state.inbox.max_pending = 1
    first, refused = text_update("lost passport in trinidad", 96), text_update("hola", 97)
    assert (await service.post(first)).status_code == 200
    assert (await service.post(refused)).status_code == 503
    service.api.down = False
    await service.settled(20)
    # Telegram delivers the refused update again: it was never marked handled, so it is taken.
    again = await service.post(refused)
    assert again.status_code == 200 and again.text == "ok"
    assert len(await service.api.wait_sent(1, 97, seconds=20)) >= 1
