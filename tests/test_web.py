"""The service as a load balancer and an operator see it: health, outages, start-up."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.library import build_snapshot
from bot.settings import Settings
from bot.storage import RedisStore
from bot.web import create_app
from bot.wiring import build
from tests.conftest import DATA, free_port
from tests.fake_bot_api import TOKEN, BotApi
from tests.servers import running

PUBLIC = "https://puente.example.org"
TWILIO = "twilio-test-auth-token"


def settings(**env: str) -> Settings:
    base = {
        "TWILIO_AUTH_TOKEN": TWILIO,
        "PUBLIC_BASE_URL": PUBLIC,
        "SESSION_SECRET": "a-long-test-session-secret",
    }
    return Settings.from_env({**base, **env}, DATA / "mini")


def signed(body: str, sid: str) -> tuple[dict[str, str], dict[str, str]]:
    params = {"MessageSid": sid, "From": "+18685550140", "Body": body}
    signature = RequestValidator(TWILIO).compute_signature(PUBLIC + "/sms", params)
    return params, {"X-Twilio-Signature": signature}


async def test_a_store_that_cannot_serve_gives_503_and_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down = RedisStore("redis://127.0.0.1:1/0")  # nothing listens there
    app = create_app(build(settings(), build_snapshot(DATA / "mini"), store=down), watch=False)
    caplog.set_level(logging.INFO)
    async with running(app) as url, httpx.AsyncClient() as http:
        health = await http.get(url + "/healthz")
        assert health.status_code == 503 and health.json()["store"].startswith("unavailable")
        codes = []
        for n in range(5):
            params, headers = signed("where is a doctor", f"SMdown{n}")
            codes.append((await http.post(url + "/sms", data=params, headers=headers)).status_code)
    assert codes == [503] * 5
    outage = [r for r in caplog.records if "session store cannot serve" in r.getMessage()]
    assert len(outage) == 1


async def test_sms_is_served_while_telegram_cannot_be_reached_and_telegram_follows(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # the Bot API will come up here, later
    config = settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_WEBHOOK_SECRET="webhook-secret_1",
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot",
        SESSION_STORE=str(tmp_path) + "/s.sqlite3",
    )
    app = create_app(build(config, build_snapshot(DATA / "mini")), watch=False)
    caplog.set_level(logging.INFO)
    async with running(app) as url, httpx.AsyncClient() as http:
        params, headers = signed("where is a doctor", "SMtg1")
        reply = await http.post(url + "/sms", data=params, headers=headers)
        assert reply.status_code == 200 and "Clinic" in reply.text
        assert (await http.get(url + "/healthz")).json()["telegram"] == "unreachable"
        api = BotApi()
        import uvicorn

        server = uvicorn.Server(uvicorn.Config(api.app(), port=port, log_level="warning"))
        serving = asyncio.create_task(server.serve())
        try:
            deadline = time.monotonic() + 20
            while (await http.get(url + "/healthz")).json()["telegram"] != "ok":
                assert time.monotonic() < deadline, "Telegram never came up"
                await asyncio.sleep(0.2)
        finally:
            server.should_exit = True
            await serving
    assert TOKEN not in caplog.text  # the token is never written to the log
    assert "Telegram is not reachable yet" in caplog.text


async def test_a_rejected_token_is_reported_without_the_token(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    api = BotApi()
    async with running(api.app()) as api_url:
        wrong = "999999:WRONG-secret-token-value"
        config = settings(
            TELEGRAM_BOT_TOKEN=wrong,
            TELEGRAM_WEBHOOK_SECRET="webhook-secret_1",
            TELEGRAM_API_BASE_URL=api_url + "/bot",
            SESSION_STORE=str(tmp_path) + "/s.sqlite3",
        )
        app = create_app(build(config, build_snapshot(DATA / "mini")), watch=False)
        caplog.set_level(logging.DEBUG)
        async with running(app) as url, httpx.AsyncClient() as http:
            assert (await http.get(url + "/healthz")).json()["telegram"] == "unreachable"
    assert wrong not in caplog.text and "WRONG-secret" not in caplog.text
