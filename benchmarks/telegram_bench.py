"""Telegram under overload: updates accepted, answered, the inbox bound kept, nothing lost.

    python -m benchmarks.telegram_bench [--updates 1500] [--bound 600]

`puente serve` (shipped base, SQLite) talks to a local Bot API stub (tests/fake_bot_api.py,
with a count of what it was sent); the load client posts `--updates` updates, one new chat
each, at 16 connections, as fast as they are taken, with TELEGRAM_MAX_PENDING=`--bound`. Run
with the 30 messages/s limiter on, then off. Prints updates/s accepted (200) and refused
(503), the most ever waiting, answered/s, and whether every accepted update got its reply and
no refused one did.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.sms_bench import free_port, load, messages, start, stop, wait_up

SECRET = "bench_webhook_secret_0123"
STUB = """
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from tests.fake_bot_api import BotApi

api = BotApi()

async def stats(request):
    return JSONResponse({"chats": sorted({int(p["chat_id"]) for p in api.sent()})})

app = Starlette(routes=[Route("/stats", stats), Mount("/", app=api.app())])
uvicorn.run(app, port=PORT, log_level="warning")
"""


def write_updates(path: Path, count: int) -> None:
    """One text update per new chat."""
    texts = [t for t, _ in messages()]
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            user = {"id": 1_000_000 + n, "is_bot": False, "first_name": "U", "language_code": "es"}
            update = {
                "update_id": n + 1,
                "message": {
                    "message_id": n + 1,
                    "date": int(time.time()),
                    "from": user,
                    "chat": {"id": user["id"], "type": "private"},
                    "text": texts[n % len(texts)],
                },
            }
            headers = {
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": SECRET,
            }
            out.write(json.dumps({"body": json.dumps(update), "headers": headers}) + "\n")


def _get(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url, timeout=5) as response:
        found: dict[str, object] = json.loads(response.read())
        return found


def one_run(updates: Path, count: int, bound: int, limiter: str) -> str:
    """One serve process, one burst; the figures as a line."""
    stub_port, port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="puente-tg-") as name:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": "123456:TEST-token",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{stub_port}/bot",
            "TELEGRAM_MAX_PENDING": str(bound),
            "TELEGRAM_RATE_LIMIT": limiter,
            "SESSION_SECRET": "bench-session-secret-0123456789",
            "SESSION_STORE": str(Path(name) / "sessions.sqlite3"),
        }
        stub = start([sys.executable, "-c", STUB.replace("PORT", str(stub_port))], env)
        wait_up(f"http://127.0.0.1:{stub_port}/stats")
        serve = start([sys.executable, "-m", "bot", "serve", "--port", str(port)], env)
        health = f"http://127.0.0.1:{port}/healthz"
        try:
            wait_up(health)
            while _get(health).get("telegram") != "ok":
                time.sleep(0.2)
            started = time.perf_counter()
            figures = load(port, updates, 16, 600.0, "/telegram")
            posted = time.perf_counter() - started
            accepted = int(figures["statuses"].get("200", 0))  # type: ignore[attr-defined]
            refused = int(figures["statuses"].get("503", 0))  # type: ignore[attr-defined]
            most = 0
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                waiting = int(str(_get(health).get("telegram_waiting", 0)))
                most = max(most, waiting)
                if waiting == 0:
                    break
                time.sleep(0.2)
            done = time.perf_counter() - started
            answered = {int(c) for c in _get(f"http://127.0.0.1:{stub_port}/stats")["chats"]}  # type: ignore[union-attr]
        finally:
            stop(serve)
            stop(stub)
    # The load client took the updates in file order; which ones were refused is not kept, so
    # "nothing lost" is: as many chats answered as updates accepted, none beyond.
    lost = accepted - len(answered)
    return (
        f"limiter {limiter:3}: {count} updates posted in {posted:.1f} s "
        f"({count / posted:,.0f} requests/s), accepted "
        f"{accepted / posted:,.0f}/s ({accepted}), refused 503 {refused}; most waiting after "
        f"the burst {most} (bound {bound}); answered {len(answered)} in {done:.1f} s = "
        f"{len(answered) / done:,.0f}/s; lost {lost}; statuses {figures['statuses']}"
    )


def main() -> int:
    """Both runs, limiter on and off."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=1500)
    parser.add_argument("--bound", type=int, default=600)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="puente-tg-updates-") as name:
        updates = Path(name) / "updates.jsonl"
        write_updates(updates, args.updates)
        for limiter in ("on", "off"):
            print(one_run(updates, args.updates, args.bound, limiter), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
