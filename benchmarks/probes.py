"""Issue 14's probes at full size, against real `puente serve` processes on 127.0.0.1.

    python -m benchmarks.probes [--only down,kill,body,slow,frozen]

down    240 Telegram updates accepted while the Bot API refuses connections for 5 s
kill    a 300-update backlog, the Bot API answering in 1 s, SIGKILL 10 s in, a new process
        on the same store (SQLite, and Redis when redis-server is installed)
body    one 20 MB chunked body of 2 M small fields to /sms, next to a genuine SMS
slow    about 1,000 connections sending a byte a second, then 20 genuine SMS
frozen  a redis-server stopped with SIGSTOP for 25 s while SMS arrive, one a second

The fake Bot API is the tests' (tests/fake_bot_api.py); SMS are signed with twilio's own
validator. Each probe prints what a user would see: answered, lost, twice, how long.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from redis import Redis
from twilio.request_validator import RequestValidator

from tests.conftest import DATA, free_port
from tests.fake_bot_api import TOKEN, BotApi
from tests.servers import Serve, running

SECRET, TWILIO, PUBLIC = (
    "probe-webhook-secret_1",
    "probe-twilio-token",
    "https://puente.example.org",
)
KNOWLEDGE = DATA / "mini"


def environment(store: str, api_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "SESSION_SECRET": "a-long-probe-session-secret",
        "SESSION_STORE": store,
        "TWILIO_AUTH_TOKEN": TWILIO,
        "PUBLIC_BASE_URL": PUBLIC,
        **extra,
    }
    if api_url:
        env |= {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": api_url + "/bot",
        }
    return env


def update(update_id: int, chat: int) -> dict[str, Any]:
    user = {"id": chat, "is_bot": False, "first_name": "Ana", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "from": user,
            "chat": {"id": chat, "type": "private"},
            "text": "lost passport in trinidad",
        },
    }


def signed_sms(sid: str, sender: str) -> tuple[dict[str, str], dict[str, str]]:
    params = {"MessageSid": sid, "From": sender, "Body": "lost passport"}
    signature = RequestValidator(TWILIO).compute_signature(PUBLIC + "/sms", params)
    return params, {"X-Twilio-Signature": signature}


async def post_updates(url: str, ids: range, chat_base: int) -> int:
    """Post one update per chat; the number Telegram would count as accepted (200)."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient(timeout=30) as http:
        codes = [
            (await http.post(url + "/telegram", json=update(n, chat_base + n), headers=headers))
            for n in ids
        ]
    return sum(1 for c in codes if c.status_code == 200)


async def waiting(url: str) -> int:
    async with httpx.AsyncClient(timeout=10) as http:
        return int((await http.get(url + "/healthz")).json().get("telegram_waiting", -1))


async def drained(url: str, seconds: float) -> float:
    started = time.monotonic()
    while await waiting(url) != 0:
        if time.monotonic() - started > seconds:
            return float("nan")
        await asyncio.sleep(0.2)
    return time.monotonic() - started


def counts(api: BotApi, chats: list[int]) -> tuple[int, int]:
    """(lost, sent twice or more) over one-update-per-chat replies."""
    replies = [len(api.sent(chat)) for chat in chats]
    return sum(1 for r in replies if r == 0), sum(r - 1 for r in replies if r > 1)


async def probe_down(folder: Path) -> None:
    port = free_port()  # the Bot API's: up, then down 5 s, then up again
    api = BotApi()
    config = uvicorn.Config(api.app(), host="127.0.0.1", port=port, log_level="warning")
    api_server = uvicorn.Server(config)
    serving = asyncio.create_task(api_server.serve())
    while not api_server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
        await asyncio.sleep(0.02)
    server = Serve(environment(str(folder / "down.sqlite3"), f"http://127.0.0.1:{port}"), KNOWLEDGE)
    await server.start(ready=lambda health: health.get("telegram") == "ok")
    try:
        api_server.should_exit = True  # connections refused from here on
        await serving
        down_at = time.monotonic()
        accepted = await post_updates(server.url, range(1, 241), 10_000)
        await asyncio.sleep(max(0.0, 5 - (time.monotonic() - down_at)))
        api_server = uvicorn.Server(config)
        serving = asyncio.create_task(api_server.serve())
        back_at = time.monotonic()
        took = await drained(server.url, 120)
        chats = [10_000 + n for n in range(1, 241)]
        lost, twice = counts(api, chats)
        print(
            f"down: accepted {accepted}/240 while the Bot API was down "
            f"{back_at - down_at:.1f} s; answered {240 - lost}, lost {lost}, twice {twice}; "
            f"all answered {took:.1f} s after it was back (retry backoff 2, 4, 8 s...)"
        )
    finally:
        await server.stop()
        api_server.should_exit = True
        await serving


def in_hand(spec: str) -> int:
    if spec.startswith("redis://"):
        with Redis.from_url(spec) as client:
            return int(client.hlen("puente:i:telegram:attempts"))
    with sqlite3.connect(spec) as db:
        return int(db.execute("SELECT count(*) FROM inbox WHERE attempts > 0").fetchone()[0])


async def probe_kill(spec: str, label: str) -> None:
    api = BotApi(delay=1.0)  # 16 in hand at a time: about 16 a second, so 10 s is partway
    async with running(api.app()) as api_url:
        first = Serve(environment(spec, api_url), KNOWLEDGE)
        await first.start(ready=lambda health: health.get("telegram") == "ok")
        started = time.monotonic()
        accepted = await post_updates(first.url, range(1, 301), 20_000)
        await asyncio.sleep(max(0.0, 10 - (time.monotonic() - started)))
        await first.stop(signal.SIGKILL)
        held, sent_before = in_hand(spec), len(api.sent())
        second = Serve(environment(spec, api_url), KNOWLEDGE)
        restarted = time.monotonic()
        await second.start()
        try:
            took = await drained(second.url, 180)
        finally:
            await second.stop()
    lost, twice = counts(api, [20_000 + n for n in range(1, 301)])
    print(
        f"kill ({label}): accepted {accepted}/300, {sent_before} sent before SIGKILL at "
        f"10 s (those in hand included), {held} in hand; the next process answered the rest "
        f"in {took:.1f} s "
        f"(started {restarted - started:.1f} s in); lost {lost}, twice {twice} "
        f"(at most the {held} in hand)"
    )


def rss_and_cpu(pid: int) -> tuple[float, float]:
    """Resident MB and CPU seconds of a process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return rss / 1024, (int(fields[11]) + int(fields[12])) / ticks


async def probe_body(folder: Path) -> None:
    server = Serve(environment(str(folder / "body.sqlite3")), KNOWLEDGE)
    await server.start()
    assert server.process is not None
    pid = server.process.pid
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            params, headers = signed_sms("SMbase", "+18685550100")
            t = time.monotonic()
            base = await http.post(server.url + "/sms", data=params, headers=headers)
            baseline = time.monotonic() - t
            rss0, cpu0 = rss_and_cpu(pid)

            async def body() -> AsyncIterator[bytes]:
                chunk = b"ab=123456&" * 6_554  # 64 KiB of tiny fields
                for _ in range(20 * 16):  # 20 MB, about 2 M fields
                    yield chunk

            t = time.monotonic()
            with contextlib.suppress(httpx.HTTPError):
                big = await http.post(
                    server.url + "/sms",
                    content=body(),
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "X-Twilio-Signature": "x",
                    },
                )
            took = time.monotonic() - t
            rss1, cpu1 = rss_and_cpu(pid)
            code = big.status_code if "big" in locals() else "connection closed"
            print(
                f"body: genuine SMS {base.status_code} in {baseline * 1000:.0f} ms; 20 MB chunked "
                f"body -> {code} in {took * 1000:.0f} ms, server CPU +{cpu1 - cpu0:.2f} s, "
                f"resident +{rss1 - rss0:.1f} MB"
            )
    finally:
        await server.stop()


async def probe_slow(folder: Path, count: int) -> None:
    server = Serve(environment(str(folder / "slow.sqlite3")), KNOWLEDGE)
    await server.start()
    writers: list[asyncio.StreamWriter] = []
    stop = asyncio.Event()

    async def drip(writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError):
            while not stop.is_set():
                writer.write(b"x")
                await writer.drain()
                await asyncio.sleep(1)

    opened = 0
    try:
        for _ in range(count):
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            except OSError:
                break
            writer.write(b"POST /sms HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            writers.append(writer)
            opened += 1
        drips = [asyncio.create_task(drip(w)) for w in writers]
        await asyncio.sleep(2)
        results = []
        async with httpx.AsyncClient(timeout=20) as http:
            for n in range(20):
                params, headers = signed_sms(f"SMslow{n}", f"+186855502{n:02}")
                t = time.monotonic()
                try:
                    r = await http.post(server.url + "/sms", data=params, headers=headers)
                    results.append((r.status_code, time.monotonic() - t))
                except httpx.HTTPError as exc:
                    results.append((type(exc).__name__, time.monotonic() - t))
        stop.set()
        for w in writers:
            w.close()
        await asyncio.gather(*drips, return_exceptions=True)
    finally:
        output = await server.stop()
    codes: dict[object, int] = {}
    for code, _ in results:
        codes[code] = codes.get(code, 0) + 1
    worst = max(t for _, t in results)
    print(
        f"slow: {opened} connections sending a byte a second (MAX_CONNECTIONS 500); 20 genuine "
        f"SMS -> {codes}, slowest {worst * 1000:.0f} ms; "
        f"'Exceeded concurrency limit' logged {output.count('Exceeded concurrency limit')} times"
    )


@contextlib.contextmanager
def own_redis(folder: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    process = subprocess.Popen(
        [*command, "--dir", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process
    finally:
        process.send_signal(signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


async def probe_frozen(folder: Path) -> None:
    with own_redis(folder) as (url, redis):
        server = Serve(environment(url), KNOWLEDGE)
        await server.start()
        try:
            async with httpx.AsyncClient(timeout=30) as http:
                redis.send_signal(signal.SIGSTOP)
                frozen_at = time.monotonic()

                async def one(n: int) -> tuple[object, float]:
                    params, headers = signed_sms(f"SMfz{n}", f"+18685551{n:03}")
                    t = time.monotonic()
                    try:
                        r = await http.post(server.url + "/sms", data=params, headers=headers)
                        return r.status_code, time.monotonic() - t
                    except httpx.HTTPError as exc:
                        return type(exc).__name__, time.monotonic() - t

                tasks = []
                health = []
                while time.monotonic() - frozen_at < 25:
                    tasks.append(asyncio.create_task(one(len(tasks))))
                    if len(tasks) % 5 == 0:
                        health.append((await http.get(server.url + "/healthz")).status_code)
                    await asyncio.sleep(1)
                results = await asyncio.gather(*tasks)
                redis.send_signal(signal.SIGCONT)
                thawed = time.monotonic()
                n = 1000
                while True:
                    code, _ = await one(n)
                    n += 1
                    if code == 200:
                        break
                    await asyncio.sleep(0.1)
                recovered = time.monotonic() - thawed
        finally:
            output = await server.stop()
    codes: dict[object, int] = {}
    for code, _ in results:
        codes[code] = codes.get(code, 0) + 1
    print(
        f"frozen: Redis stopped 25 s; {len(results)} SMS -> {codes}, slowest "
        f"{max(t for _, t in results):.1f} s (Twilio waits 15 s); /healthz {sorted(set(health))}; "
        f"outage log lines {output.count('session store cannot serve')}; "
        f"answered again {recovered:.1f} s after SIGCONT"
    )


async def main(only: set[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "down" in only:
            await probe_down(folder)
        if "kill" in only:
            await probe_kill(str(folder / "kill.sqlite3"), "SQLite")
            if shutil.which("redis-server"):
                with own_redis(folder) as (url, _):
                    await probe_kill(url, "Redis")
        if "body" in only:
            await probe_body(folder)
        if "slow" in only:
            await probe_slow(folder, 1000)
        if "frozen" in only and shutil.which("redis-server"):
            await probe_frozen(folder)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="down,kill,body,slow,frozen")
    asyncio.run(main(set(parser.parse_args().only.split(","))))
