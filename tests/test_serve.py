"""`puente serve` as deployers run it: configured by environment, stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from tests.conftest import DATA, ROOT, free_port

TOKEN, PUBLIC = "serve-test-token", "https://puente.example.org"


def sms_env(store: Path) -> dict[str, str]:
    """The environment of a `puente serve` that answers SMS, with its store at `store`."""
    return {
        **os.environ,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PUBLIC_BASE_URL": PUBLIC,
        "SESSION_SECRET": "a-long-test-session-secret",
        "SESSION_STORE": str(store),
    }


def test_serve_answers_sms_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    store = tmp_path / "sessions.sqlite3"
    env = sms_env(store)
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
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        params = {"MessageSid": "SMserve1", "From": "+18685550177", "Body": "lost passport"}
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/sms", params)
        reply = httpx.post(base + "/sms", data=params, headers={"X-Twilio-Signature": signature})
        assert reply.status_code == 200 and "consulate" in reply.text
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=30)[0].decode()
    # Uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says why it
    # stopped (service managers count that as a clean stop).
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    with sqlite3.connect(store) as db:  # the session outlived the process
        assert db.execute("SELECT count(*) FROM sessions").fetchone() == (1,)


def test_a_second_serve_on_the_same_sqlite_file_is_refused_with_what_to_do(
    tmp_path: Path,
) -> None:
    store = tmp_path / "sessions.sqlite3"
    env = sms_env(store)
    command = [sys.executable, "-m", "bot", "serve", "--knowledge", str(DATA / "mini")]
    first = subprocess.Popen(
        [*command, "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while not Path(f"{store}.lock").exists():
            assert time.monotonic() < deadline and first.poll() is None
            time.sleep(0.05)
        second = subprocess.run(
            [*command, "--port", str(free_port())],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert second.returncode == 2
    assert "already used by another Puente process" in second.stderr
    assert "SESSION_STORE=redis://" in second.stderr


def test_serve_refuses_to_start_with_bad_configuration(tmp_path: Path) -> None:
    env = {**os.environ, "TWILIO_AUTH_TOKEN": TOKEN, "SESSION_SECRET": "short"}
    env.pop("PUBLIC_BASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--knowledge", str(DATA / "mini")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "PUBLIC_BASE_URL is required when TWILIO_AUTH_TOKEN is set" in result.stderr


async def test_telegram_poll_answers_updates_and_logs_what_it_could_not(tmp_path: Path) -> None:
    import asyncio

    from tests.fake_bot_api import TOKEN as BOT_TOKEN
    from tests.fake_bot_api import BotApi
    from tests.servers import running

    def update(update_id: int, text: str) -> dict[str, object]:
        user = {"id": 77, "is_bot": False, "first_name": "Rosa", "language_code": "en"}
        return {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "from": user,
                "chat": {"id": 77, "type": "private"},
                "text": text,
            },
        }

    api = BotApi(
        updates=[update(1, "lost passport in trinidad"), update(2, "zqxv wobble frumious")]
    )
    store = tmp_path / "sessions.sqlite3"
    async with running(api.app()) as api_url:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": "poll-secret-0123456789",
            "TELEGRAM_API_BASE_URL": api_url + "/bot",
            "SESSION_SECRET": "a-long-test-session-secret",
            "SESSION_STORE": str(store),
        }
        command = [sys.executable, "-m", "bot", "telegram-poll", "--knowledge", str(DATA / "mini")]
        poller = await asyncio.create_subprocess_exec(
            *command,
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            sent = await api.wait_sent(2, chat_id=77, seconds=30)
        finally:
            poller.send_signal(signal.SIGINT)
            output = (await asyncio.wait_for(poller.communicate(), 30))[0].decode()
    assert "consulate" in sent[0]["text"], output
    assert sent[1]["text"] != sent[0]["text"]
    assert poller.returncode == 0, output
    assert api.unexpected == [], output
    with sqlite3.connect(store) as db:  # the store was closed cleanly and kept the question
        rows = db.execute("SELECT data FROM records WHERE log = 'unanswered'").fetchall()
    assert len(rows) == 1 and "zqxv" in rows[0][0]
