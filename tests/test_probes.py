"""The service probed as issue 14 probed it, bounded and on 127.0.0.1: a process killed while
draining, slow clients holding connections, a frozen Redis. `benchmarks/probes.py` runs the
same probes at the issue's full size."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis import Redis
from twilio.request_validator import RequestValidator

from tests.conftest import DATA, free_port, need_program
from tests.fake_bot_api import TOKEN, BotApi
from tests.servers import Serve, running

SECRET, TWILIO, PUBLIC = (
    "probe-webhook-secret_1",
    "probe-twilio-token",
    "https://puente.example.org",
)


def env(store: str) -> dict[str, str]:
    """A `puente serve` environment with its session store at `store`."""
    return {**os.environ, "SESSION_SECRET": "a-long-test-session-secret", "SESSION_STORE": store}


def telegram_env(store: str, api_url: str) -> dict[str, str]:
    return {
        **env(store),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": api_url + "/bot",
    }


def sms_env(store: str, **extra: str) -> dict[str, str]:
    return {**env(store), "TWILIO_AUTH_TOKEN": TWILIO, "PUBLIC_BASE_URL": PUBLIC, **extra}


def update(update_id: int, chat: int, text: str = "lost passport in trinidad") -> dict[str, Any]:
    user = {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": "en"}
    message = {"message_id": update_id, "date": int(time.time()), "from": user, "text": text}
    message["chat"] = {"id": chat, "type": "private"}
    return {"update_id": update_id, "message": message}


def signed_sms(sid: str, sender: str = "+18685550177") -> tuple[dict[str, str], dict[str, str]]:
    params = {"MessageSid": sid, "From": sender, "Body": "lost passport"}
    signature = RequestValidator(TWILIO).compute_signature(PUBLIC + "/sms", params)
    return params, {"X-Twilio-Signature": signature}


@pytest.fixture(params=["sqlite", "redis"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh store for `puente serve` subprocesses: a SQLite file, or a Redis database of
    its own (the processes use the default key prefix)."""
    if request.param == "sqlite":
        yield str(tmp_path / "sessions.sqlite3")
        return
    url = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/7"
    with Redis.from_url(url) as client:
        client.flushdb()
    yield url
    with Redis.from_url(url) as client:
        client.flushdb()


def in_hand(spec: str) -> int:
    """Updates a worker had taken and not finished: those a killed process was answering."""
    if spec.startswith("redis://"):
        with Redis.from_url(spec) as client:
            return int(client.hlen("puente:i:telegram:attempts"))
    with sqlite3.connect(spec) as db:
        row = db.execute("SELECT count(*) FROM inbox WHERE attempts > 0").fetchone()
    return int(row[0])


async def test_a_process_killed_mid_drain_leaves_every_accepted_update_to_the_next(
    store_spec: str,
) -> None:
    api = BotApi(delay=0.5)  # a slow Bot API: the backlog drains over a few seconds
    chats = range(5001, 5049)  # one update per chat, so replies per chat are replies per update
    async with running(api.app()) as api_url, httpx.AsyncClient() as http:
        first = Serve(telegram_env(store_spec, api_url), DATA / "mini")
        await first.start(ready=lambda health: health.get("telegram") == "ok")
        try:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            for n, chat in enumerate(chats):
                response = await http.post(
                    first.url + "/telegram", json=update(9000 + n, chat), headers=headers
                )
                assert response.status_code == 200
            await api.wait_sent(8, seconds=20)
        finally:
            await first.stop(signal.SIGKILL)
        killed_in_hand, sent_before = in_hand(store_spec), len(api.sent())
        assert sent_before < len(chats), "the backlog was drained before the kill"
        second = Serve(telegram_env(store_spec, api_url), DATA / "mini")
        await second.start()
        try:
            deadline = time.monotonic() + 60  # on Redis, a dead holder's user lock must expire
            while (await http.get(second.url + "/healthz")).json().get("telegram_waiting") != 0:
                assert time.monotonic() < deadline, "accepted updates were never answered"
                await asyncio.sleep(0.2)
        finally:
            output = await second.stop()
    replies = [len(api.sent(chat)) for chat in chats]
    assert min(replies) == 1, output  # none lost
    # A reply that reached Telegram before its update was marked done is sent again: only
    # those the killed process had in hand can be, never the others.
    duplicates = sum(count - 1 for count in replies)
    assert duplicates <= killed_in_hand <= 16  # the inbox's concurrency
    assert api.unexpected == []


async def test_slow_clients_up_to_the_limit_get_an_sms_refused_at_once_never_hung(
    tmp_path: Path,
) -> None:
    limit = 20
    server = Serve(sms_env(str(tmp_path / "s.sqlite3"), MAX_CONNECTIONS=str(limit)), DATA / "mini")
    await server.start()
    slow: list[socket.socket] = []
    try:
        async with httpx.AsyncClient(timeout=5) as http:
            for _ in range(limit - 4):  # well under the limit: genuine SMS still answered
                slow.append(_slow_client(server.port))
            params, headers = signed_sms("SMslow1")
            reply = await http.post(server.url + "/sms", data=params, headers=headers)
            assert reply.status_code == 200 and "consulate" in reply.text
            for _ in range(4):  # now every slot is held by a client that never finishes
                slow.append(_slow_client(server.port))
            params, headers = signed_sms("SMslow2")
            started = time.monotonic()
            refused = await http.post(server.url + "/sms", data=params, headers=headers)
            assert refused.status_code == 503 and time.monotonic() - started < 2
            for sock in slow:
                sock.close()
            slow.clear()
            deadline = time.monotonic() + 10
            while True:  # the slots come back as the slow clients go
                params, headers = signed_sms("SMslow3")
                again = await http.post(server.url + "/sms", data=params, headers=headers)
                if again.status_code == 200:
                    break
                assert time.monotonic() < deadline, "the service never recovered"
                await asyncio.sleep(0.1)
    finally:
        for sock in slow:
            sock.close()
        output = await server.stop()
    assert "Exceeded concurrency limit" in output  # the operator can see why SMS got 503


def _slow_client(port: int) -> socket.socket:
    """A connection that has sent part of its request line and goes no further."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"POST /sms HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    return sock


@contextlib.contextmanager
def own_redis(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A redis-server of this test's own, to freeze with SIGSTOP without harming the others."""
    program = need_program("redis-server")
    port = free_port()
    process = subprocess.Popen(
        [program, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


async def test_a_frozen_redis_gets_a_polite_503_in_seconds_then_service_again(
    tmp_path: Path,
) -> None:
    with own_redis(tmp_path) as (url, redis):
        server = Serve(sms_env(url), DATA / "mini")
        await server.start()
        try:
            async with httpx.AsyncClient(timeout=14) as http:  # Twilio gives up at 15 s
                params, headers = signed_sms("SMfrozen0")
                assert (
                    await http.post(server.url + "/sms", data=params, headers=headers)
                ).status_code == 200
                redis.send_signal(signal.SIGSTOP)

                async def one(n: int) -> tuple[int, float, str]:
                    params, headers = signed_sms(f"SMfrozen{n}", f"+186855501{n:02}")
                    started = time.monotonic()
                    response = await http.post(server.url + "/sms", data=params, headers=headers)
                    return response.status_code, time.monotonic() - started, response.text

                answers = await asyncio.gather(*(one(n) for n in range(1, 6)))
                assert [code for code, _, _ in answers] == [503] * 5
                assert max(seconds for _, seconds, _ in answers) < 5, answers
                health = await http.get(server.url + "/healthz")
                assert health.status_code == 503
                params, headers = signed_sms("SMfrozen6", "+18685550106")
                later = await http.post(server.url + "/sms", data=params, headers=headers)
                assert later.status_code == 503  # still the same outage, no new log line
                redis.send_signal(signal.SIGCONT)
                deadline = time.monotonic() + 15
                while True:
                    # Someone else: a lock the frozen requests asked for is granted when Redis
                    # thaws, and holds their senders up to LOCK_SECONDS.
                    params, headers = signed_sms("SMfrozen9", "+18685550199")
                    response = await http.post(server.url + "/sms", data=params, headers=headers)
                    if response.status_code == 200:
                        break
                    assert time.monotonic() < deadline, "no service after Redis thawed"
                    await asyncio.sleep(0.2)
                assert "consulate" in response.text
                assert (await http.get(server.url + "/healthz")).status_code == 200
        finally:
            output = await server.stop()
    assert output.count("session store cannot serve") == 1, output  # one line for the outage
    assert "session store serves again" in output
