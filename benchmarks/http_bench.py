"""Throughput and latency of /sms and /telegram on one uvicorn worker, driven by wrk.

    python -m benchmarks.http_bench [--seconds 10] [--connections 16]

`puente serve` runs in its own process (one worker, SQLite sessions), the Bot API peer in
another, and wrk (Debian's package) drives the load from a third, all on localhost. Every SMS
request is signed with twilio's own validator and carries a new MessageSid, so each one is
matched, answered and written to the session store; every Telegram update has a new update_id.
/healthz is measured the same way as the baseline: the ratio shows what our work costs on top
of the web stack.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bot.content import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
TOKEN, PUBLIC, SECRET = "bench-twilio-token", "https://bench.example.org", "bench_secret"
LUA = """
local requests = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do
    local body, sig = line:match("([^\\t]*)\\t(.*)")
    requests[#requests + 1] = wrk.format("POST", nil, {
      ["Content-Type"] = args[2], ["X-Twilio-Signature"] = sig,
      ["X-Telegram-Bot-Api-Secret-Token"] = args[3]}, body)
  end
end
request = function()
  i = i + 1
  if i > #requests then i = 1 end
  return requests[i]
end
"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def _texts(knowledge: Path) -> list[str]:
    base, _ = load_knowledge(knowledge)
    return [q for e in base.entries for qs in e.questions.values() for q in qs][:500]


def _sms_requests(path: Path, texts: list[str], count: int, start: int = 0) -> None:
    validator = RequestValidator(TOKEN)
    with path.open("w", encoding="utf-8") as out:
        for n in range(start, start + count):
            params = {
                "MessageSid": f"SM{n:032d}",
                "From": f"+1868555{n % 500:04d}",
                "To": "+18685550000",
                "Body": texts[n % len(texts)],
                "NumMedia": "0",
            }
            signature = validator.compute_signature(PUBLIC + "/sms", params)
            out.write(f"{urlencode(params)}\t{signature}\n")


def _telegram_requests(path: Path, texts: list[str], count: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            user = {"id": 10_000 + n % 500, "is_bot": False, "first_name": "U"}
            update = {
                "update_id": n + 1,
                "message": {
                    "message_id": n + 1,
                    "date": 1_700_000_000,
                    "from": user,
                    "chat": {"id": user["id"], "type": "private"},
                    "text": texts[n % len(texts)],
                },
            }
            out.write(f"{json.dumps(update, ensure_ascii=False)}\t-\n")


def _wrk(
    url: str, requests: Path | None, content_type: str, seconds: int, connections: int, folder: Path
) -> tuple[float, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if requests is not None:  # POST the prepared requests in turn; without, a plain GET
        script = folder / "requests.lua"
        script.write_text(LUA)
        command[5:5] = ["-s", str(script)]
        command += ["--", str(requests), content_type, SECRET]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    assert p99 is not None, output
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx responses from {url}")
    return rate, float(p99.group(1)) * scale


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="puente-http-") as name:
        folder = Path(name)
        texts = _texts(args.knowledge)
        count = args.seconds * 8000
        _sms_requests(folder / "sms.txt", texts, count)
        _telegram_requests(folder / "telegram.txt", texts, count)
        api_port, port = _free_port(), _free_port()
        python = sys.executable
        api = subprocess.Popen(
            [
                python,
                "-c",
                (
                    "import uvicorn; from tests.fake_bot_api import BotApi; "
                    f"uvicorn.run(BotApi().app(), port={api_port}, log_level='warning')"
                ),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        env = {
            **os.environ,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": PUBLIC,
            "SESSION_SECRET": "bench-session-secret-0123456789",
            "SESSION_STORE": str(folder / "sessions.sqlite3"),
            "TELEGRAM_BOT_TOKEN": "123456:TEST-token",
            "TELEGRAM_WEBHOOK_SECRET": SECRET,
            "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api_port}/bot",
        }
        server = subprocess.Popen(
            [python, "-m", "bot", "serve", "--port", str(port), "--knowledge", str(args.knowledge)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(f"http://127.0.0.1:{port}/healthz")
            base = f"http://127.0.0.1:{port}"
            form = "application/x-www-form-urlencoded"
            health = _wrk(base + "/healthz", None, form, args.seconds, args.connections, folder)
            sms = _wrk(
                base + "/sms", folder / "sms.txt", form, args.seconds, args.connections, folder
            )
            telegram = _wrk(
                base + "/telegram",
                folder / "telegram.txt",
                "application/json",
                args.seconds,
                args.connections,
                folder,
            )
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                print("  warning: the server took over 60 s to stop after SIGTERM")
                server.kill()
            api.terminate()
            api.wait(timeout=10)
    print(
        f"one uvicorn worker, {args.connections} connections, {args.seconds} s each, wrk on "
        "localhost"
    )
    for label, (rate, p99) in (
        ("/healthz (baseline)", health),
        ("/sms (signed, matched, session written)", sms),
        ("/telegram (accepted, queued)", telegram),
    ):
        print(
            f"{label}: {rate:,.0f} requests/s, p99 {p99:.1f} ms, "
            f"{rate / health[0]:.2f}x the baseline rate"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
