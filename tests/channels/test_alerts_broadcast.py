"""Alerts end to end over real HTTP: subscribe on each channel, publish, receive, unsubscribe.

Puente runs with its live reload; Telegram is the local Bot API server and Twilio a local fake
of its Messages endpoint, both failing the test on anything unexpected.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.library import build_snapshot
from bot.settings import Settings
from bot.web import create_app
from bot.wiring import build
from tests.channels.test_sms_webhook import PUBLIC, Phone
from tests.channels.test_telegram_webhook import SECRET, text_update
from tests.channels.test_whatsapp import WhatsApp
from tests.conftest import DATA
from tests.fake_bot_api import TOKEN as BOT_TOKEN
from tests.fake_bot_api import BotApi
from tests.fake_twilio import ACCOUNT, SMS_FROM, TOKEN, WHATSAPP_FROM, Twilio
from tests.servers import running

SMS_USER, WA_USER, CHAT = "+18685550123", "+18685550177", 42


@dataclass
class Deployment:
    url: str
    http: httpx.AsyncClient
    api: BotApi
    twilio: Twilio
    app: Any
    knowledge: Path

    async def telegram(self, text: str) -> None:
        response = await self.http.post(
            self.url + "/telegram",
            json=text_update(text, CHAT),
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        )
        assert response.status_code == 200

    def publish(self, name: str, alert_id: str | None = None) -> None:
        text = (DATA / "alerts" / f"{name}.yaml").read_text()
        if alert_id:
            text = text.replace(f"id: {name}", f"id: {alert_id}")
        (self.knowledge / "alerts" / f"{alert_id or name}.yaml").write_text(text)

    async def subscribers(self) -> list[str]:
        found = await self.app.state.conversations.store.subscribers("tt")
        return sorted(data for _key, data in found)


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    knowledge = tmp_path / "kb"
    shutil.copytree(DATA / "mini", knowledge)
    (knowledge / "alerts").mkdir()
    api, twilio = BotApi(), Twilio()
    async with running(api.app()) as api_url, running(twilio.app()) as twilio_url:
        env = {
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": api_url + "/bot",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": PUBLIC,
            "TWILIO_ACCOUNT_SID": ACCOUNT,
            "TWILIO_SMS_FROM": SMS_FROM,
            "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
            "TWILIO_API_BASE_URL": twilio_url,
            "TWILIO_MPS": "20",
            "SESSION_SECRET": "a-long-test-session-secret",
            "SESSION_STORE": str(tmp_path / "s.sqlite3"),
        }
        settings = Settings.from_env(env, knowledge)
        app = create_app(build(settings, build_snapshot(knowledge)), watch=True)
        async with running(app) as url, httpx.AsyncClient() as http:
            yield Deployment(url, http, api, twilio, app, knowledge)
    assert api.unexpected == [] and twilio.unexpected == []


async def test_subscribe_publish_receive_and_unsubscribe_on_every_channel(
    tmp_path: Path,
) -> None:
    async with deployment(tmp_path) as d:
        sms, whatsapp = Phone(d.http, [d.url], SMS_USER), WhatsApp(d.http, d.url, WA_USER)
        await d.telegram("alertas")  # no country known yet: it is asked first
        assert "¿En qué país está?" in (await d.api.wait_sent(1, CHAT))[-1]["text"]
        await d.telegram("2")  # Trinidad y Tobago
        await d.api.wait_sent(2, CHAT)
        await d.telegram("alertas")
        await d.api.wait_sent(3, CHAT)
        await d.telegram("1")  # Todas las alertas de Trinidad y Tobago
        await d.api.wait_sent(4, CHAT)
        assert "Recibirá las alertas de Trinidad y Tobago" in d.api.sent(CHAT)[-1]["text"]
        assert "Alerts for Trinidad and Tobago" in await sms.text("ALERTS")
        assert "You will get alerts" in await sms.text("1")
        await whatsapp.messages("ALERTS")
        assert "You will get alerts" in "\n".join(await whatsapp.messages("1"))
        assert len(await d.subscribers()) == 3

        d.publish("mini-tt-flood")  # picked up by the live reload, then broadcast
        await d.twilio.wait_messages(2)
        [alert] = [m for m in await d.api.wait_sent(5, CHAT) if "Clínica Ejemplo" in m["text"]]
        assert alert["text"].startswith("⚠️ <b>Alerta</b>\nLa Clínica Ejemplo está cerrada")
        [text] = d.twilio.to(SMS_USER)
        assert text["Body"].startswith("Alert: Example Clinic closed by flooding.")
        assert text["From"] == SMS_FROM
        assert text["StatusCallback"] == PUBLIC + "/twilio/status?alert=mini-tt-flood&channel=sms"
        [chat] = d.twilio.to("whatsapp:" + WA_USER)
        assert chat["Body"].startswith("⚠️ *Alert*\nExample Clinic is closed by flooding")
        assert "ContentSid" not in chat  # they wrote within 24 hours: free-form

        # A user writing in sees the alert they already have once more, as one short line.
        assert "Alert: Example Clinic closed" in await sms.text("hello")

        await d.telegram("parar alertas")
        await sms.text("STOP ALERTS")
        await whatsapp.messages("stop alerts")
        assert await d.subscribers() == []
        d.publish("mini-tt-flood", "mini-tt-flood-2")
        store = d.app.state.conversations.store
        await until(lambda: _fanned(store, "mini-tt-flood-2"))
        assert await store.pending("alerts:sms") == 0 and len(d.twilio.messages) == 2


async def _fanned(store: Any, alert: str) -> bool:
    return await store.recall(f"alerts:fanned:{alert}") is not None


async def test_a_twilio_status_callback_is_recorded_when_signed(tmp_path: Path) -> None:
    async with deployment(tmp_path) as d:
        path = "/twilio/status?alert=mini-tt-flood&channel=sms"
        params = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": SMS_USER}
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, params)
        for _ in range(2):  # Twilio retries: recorded once
            response = await d.http.post(
                d.url + path, data=params, headers={"X-Twilio-Signature": signature}
            )
            assert response.status_code == 204
        forged = await d.http.post(
            d.url + path, data=params, headers={"X-Twilio-Signature": "bm8="}
        )
        assert forged.status_code == 403
        metrics = (await d.http.get(d.url + "/metrics")).text
        assert 'puente_alert_deliveries_total{channel="sms",status="delivered"} 1.0' in metrics
        records = await d.app.state.conversations.store.records("alerts:events")
        assert [data for _at, data in records] == [
            '{"alert": "mini-tt-flood", "channel": "sms", "state": "status:delivered"}'
        ]
        assert SMS_USER not in records[0][1]


@pytest.mark.parametrize("missing", ["MessageStatus", "alert"])
async def test_a_status_callback_without_what_it_reports_is_refused(
    tmp_path: Path, missing: str
) -> None:
    async with deployment(tmp_path) as d:
        path = "/twilio/status" + ("" if missing == "alert" else "?alert=a")
        params = {"MessageSid": "SM1", "MessageStatus": "delivered"}
        params.pop(missing, None)
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, params)
        response = await d.http.post(
            d.url + path, data=params, headers={"X-Twilio-Signature": signature}
        )
        assert response.status_code == 400
