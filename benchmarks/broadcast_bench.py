"""An alert broadcast to 10,000 subscribers across channels, killed halfway and restarted.

    python -m benchmarks.broadcast_bench [--subscribers 10000] [--telegram-rate 200] [--mps 100]
                                         [--store redis://127.0.0.1:6379/0 --workers 2]

The local Bot API server and the local Twilio fake run in this process, on 127.0.0.1, and
record every message. A worker process (the real Broadcaster, its store, its pacing, the real
python-telegram-bot and Twilio REST clients) sends one alert to every subscriber; when half the
messages have arrived it gets SIGTERM, and a new one is started to send the rest. Printed: how
long it took against the least the configured rates allow (the baseline, computed in the same
run), the rate reached per channel, and how many recipients got the alert twice or never.
Subscribers are split 50% Telegram, 30% SMS, 20% WhatsApp; half of the WhatsApp ones last wrote
more than 24 hours ago and get the approved template instead.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "HX" + "b" * 32
HOUR = 3600


def _split(total: int) -> dict[str, int]:
    telegram, sms = total // 2, total * 3 // 10
    return {"telegram": telegram, "sms": sms, "whatsapp": total - telegram - sms}


async def _populate(spec: str, knowledge: Path, total: int) -> None:
    from bot.channels.whatsapp_window import Window
    from bot.storage import open_store

    store = open_store(spec)
    window = Window(store)
    counts = _split(total)
    n = 0
    for channel, count in counts.items():
        for i in range(count):
            address = str(10_000_000 + n) if channel == "telegram" else f"+1868{n:07d}"
            key = f"bench-{n:06d}"
            data = {"channel": channel, "address": address, "lang": "en", "topics": []}
            await store.subscribe(key, "tt", json.dumps(data))
            if channel == "whatsapp" and i % 2 == 0:
                await window.saw(key)  # wrote lately: free-form; the others need the template
            n += 1
    await store.close()


def _worker(args: argparse.Namespace) -> int:
    """One broadcasting process: sends until SIGTERM, then stops as `puente serve` does."""
    from telegram import Bot
    from telegram.request import HTTPXRequest

    from bot.channels.alert_send import AlertSender
    from bot.channels.broadcast import Broadcaster
    from bot.channels.twilio_send import TwilioRest
    from bot.channels.whatsapp_window import Window
    from bot.library import Library, build_snapshot
    from bot.storage import open_store
    from tests.fake_bot_api import TOKEN
    from tests.fake_twilio import ACCOUNT, SMS_FROM, WHATSAPP_FROM
    from tests.fake_twilio import TOKEN as TWILIO_TOKEN

    async def run() -> None:
        store = open_store(args.store)
        # python-telegram-bot's default pool is one connection: sends would queue behind it.
        bot = Bot(
            TOKEN, base_url=args.bot_api + "/bot", request=HTTPXRequest(connection_pool_size=16)
        )
        await bot.initialize()
        sender = AlertSender(
            telegram_bot=bot,
            twilio=TwilioRest(ACCOUNT, TWILIO_TOKEN, SMS_FROM, WHATSAPP_FROM, args.twilio),
            window=Window(store),
            telegram_rate=args.telegram_rate,
            twilio_mps=args.mps,
            templates={"alert:en": TEMPLATE},
        )
        broadcaster = Broadcaster(Library(build_snapshot(Path(args.knowledge))), store, sender)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await broadcaster.start()
        await stop.wait()
        await broadcaster.stop()
        await bot.shutdown()
        await store.close()

    asyncio.run(run())
    return 0


def _spawn(args: argparse.Namespace, knowledge: Path, bot_api: str, twilio: str) -> Any:
    command = [
        sys.executable, "-m", "benchmarks.broadcast_bench", "--worker",
        "--store", args.store, "--knowledge", str(knowledge), "--bot-api", bot_api,
        "--twilio", twilio, "--telegram-rate", str(args.telegram_rate), "--mps", str(args.mps),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT)


async def _until(done: Any, deadline: float) -> None:
    """Poll `done()` until it is true or `deadline` (perf_counter) passes."""
    while not done() and time.perf_counter() < deadline:  # noqa: ASYNC110 - a plain poll
        await asyncio.sleep(0.01)


async def _bench(args: argparse.Namespace) -> int:
    from tests.fake_bot_api import BotApi
    from tests.fake_twilio import Twilio
    from tests.servers import running

    folder = Path(tempfile.mkdtemp(prefix="puente-broadcast-"))
    knowledge = folder / "kb"
    shutil.copytree(ROOT / "tests" / "data" / "mini", knowledge)
    (knowledge / "alerts").mkdir()
    shutil.copy(ROOT / "tests" / "data" / "alerts" / "mini-tt-flood.yaml", knowledge / "alerts")
    if args.store == "sqlite":
        args.store = str(folder / "sessions.sqlite3")
    if args.workers > 1 and "://" not in args.store:
        print("several workers share the work only through Redis: give --store redis://…")
        return 2
    total = args.subscribers
    started = time.perf_counter()
    await _populate(args.store, knowledge, total)
    populated = time.perf_counter() - started
    api, twilio = BotApi(), Twilio()
    counts = _split(total)
    expected = counts["telegram"] + counts["sms"] + counts["whatsapp"]
    async with running(api.app()) as api_url, running(twilio.app()) as twilio_url:

        def received() -> int:
            return len(api.sent()) + len(twilio.messages)

        began = time.perf_counter()
        first = [_spawn(args, knowledge, api_url, twilio_url) for _ in range(args.workers)]
        await _until(lambda: received() >= expected // 2, began + args.timeout)
        for process in first:
            process.send_signal(signal.SIGTERM)
        stopping = time.perf_counter()
        for process in first:
            await _until(lambda p=process: p.poll() is not None, stopping + 60)
        stopped = time.perf_counter()
        by_first = received()
        second = [_spawn(args, knowledge, api_url, twilio_url) for _ in range(args.workers)]
        await _until(lambda: received() >= expected, began + args.timeout)
        finished = time.perf_counter()
        for process in second:
            process.send_signal(signal.SIGTERM)
        for process in second:
            await _until(lambda p=process: p.poll() is not None, time.perf_counter() + 60)
        await asyncio.sleep(1.0)  # a late duplicate would arrive now
    shutil.rmtree(folder, ignore_errors=True)
    tally = collections.Counter(
        [("telegram", str(p["chat_id"])) for p in api.sent()]
        + [
            ("whatsapp" if m["To"].startswith("whatsapp:") else "sms", m["To"])
            for m in twilio.messages
        ]
    )
    per_channel = collections.Counter(channel for channel, _ in tally)
    twice = sum(1 for n in tally.values() if n > 1)
    never = expected - len(tally)
    templates = sum(1 for m in twilio.messages if "ContentSid" in m)
    rates = {"telegram": args.telegram_rate, "sms": args.mps, "whatsapp": args.mps}
    ideal = max(counts[c] / rates[c] for c in counts)
    sending = (stopping - began) + (finished - stopped)
    print(
        f"subscribers: {total} ({counts['telegram']} Telegram, {counts['sms']} SMS, "
        f"{counts['whatsapp']} WhatsApp, {templates} of those by template); "
        f"store {'Redis' if '://' in args.store else 'SQLite'}, {args.workers} worker(s)"
    )
    print(f"configured: Telegram {args.telegram_rate:g}/s, TWILIO_MPS {args.mps:g} per sender")
    print(f"subscribers written in {populated:.1f} s")
    print(f"first worker(s): {by_first} sent, then SIGTERM; stopped in {stopped - stopping:.2f} s")
    print(f"second worker(s): {received() - by_first} sent")
    print(f"baseline, the least the configured rates allow: {ideal:.1f} s")
    print(
        f"measured, sending time without the restart: {sending:.1f} s "
        f"({sending / ideal:.2f}x the baseline); wall time with it {finished - began:.1f} s"
    )
    for channel in ("telegram", "sms", "whatsapp"):
        print(
            f"  {channel}: {per_channel[channel]} recipients, "
            f"{per_channel[channel] / sending:.0f}/s (configured {rates[channel]:g}/s)"
        )
    print(f"recipients sent twice: {twice}; never sent: {never}")
    unexpected = api.unexpected + twilio.unexpected
    if unexpected:
        print(f"unexpected calls: {unexpected[:5]}")
    return 0 if twice == 0 and never == 0 and not unexpected else 1


def main() -> int:
    """Run the benchmark (or, with --worker, one broadcasting process of it)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--telegram-rate", type=float, default=200.0)
    parser.add_argument("--mps", type=float, default=100.0, help="TWILIO_MPS per sender")
    parser.add_argument("--store", default="sqlite", help="sqlite, or a redis:// URL")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--knowledge", help=argparse.SUPPRESS)
    parser.add_argument("--bot-api", help=argparse.SUPPRESS)
    parser.add_argument("--twilio", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(args)
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    return asyncio.run(_bench(args))


if __name__ == "__main__":
    sys.exit(main())
