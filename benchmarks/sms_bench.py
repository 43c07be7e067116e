"""Signed SMS webhooks: `puente serve` against the bare reference app, side by side, one run.

    python -m benchmarks.sms_bench [--seconds 10]

Both servers run at once, each in its own process (one uvicorn worker each; Puente on the
shipped base with SQLite sessions), and benchmarks/loadgen.py drives them in turn from a third,
all on localhost. Every request is signed with twilio's own `RequestValidator` and carries a new
MessageSid, so Puente matches, answers and commits a session for each one. Two loads:
(a) texts drawn from the ~500 realistic messages of tests/data/shipped; (b) the same messages
made new every time (a typo, mixed case, extra words), so no text is ever seen twice. 16
connections for throughput, 4 for latency. Prints each figure and Puente's ratio to the bare app.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
TOKEN, PUBLIC = "bench-twilio-token", "https://bench.example.org"
FILLERS = (
    "please",
    "pls",
    "hola",
    "ok",
    "gracias",
    "thanks",
    "bonjou",
    "urgent",
    "hi",
    "por favor",
)
FORM = "application/x-www-form-urlencoded"


def free_port() -> int:
    """A port nobody listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_up(url: str, seconds: float = 60.0) -> None:
    """Wait until `url` answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


def messages() -> list[tuple[str, str]]:
    """(text, country) of the realistic development messages."""
    found = []
    for path in sorted((ROOT / "tests" / "data" / "shipped").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            found.append((item["text"], item.get("country") or "tt"))
    return found


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swapped
    if kind == 1:
        return word[:i] + word[i + 1 :]  # dropped
    return word[:i] + word[i] + word[i:]  # doubled


def never_seen(base: list[tuple[str, str]], count: int, seed: int = 19) -> list[tuple[str, str]]:
    """`count` texts, each new even after folding case: a typo, mixed case, extra words."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < count:
        text, country = rng.choice(base)
        words = text.split()
        at = rng.randrange(len(words))
        words[at] = _typo(words[at], rng)
        words = [
            w.upper() if rng.random() < 0.15 else w.title() if rng.random() < 0.2 else w
            for w in words
        ]
        for _ in range(rng.randrange(1, 3)):
            words.insert(rng.randrange(len(words) + 1), rng.choice(FILLERS))
        made = " ".join(words)
        if made.lower() not in seen:
            seen.add(made.lower())
            out.append((made, country))
    return out


def _number(country: str, user: int) -> str:
    import phonenumbers

    example = phonenumbers.example_number_for_type(
        country.upper(), phonenumbers.PhoneNumberType.MOBILE
    )
    if example is None:
        example = phonenumbers.example_number_for_type("TT", phonenumbers.PhoneNumberType.MOBILE)
    digits = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    return digits[:-4] + f"{user % 10_000:04d}"


def write_requests(path: Path, texts: list[tuple[str, str]], count: int, first: int) -> None:
    """`count` signed webhooks cycling through `texts`, MessageSids from `first` on."""
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(TOKEN)
    with path.open("w", encoding="utf-8") as out:
        for n in range(first, first + count):
            text, country = texts[(n - first) % len(texts)]
            params = {
                "MessageSid": f"SM{n:032d}",
                "AccountSid": "AC" + "0" * 32,
                "From": _number(country, n % 3000),
                "To": "+18685550000",
                "Body": text,
                "NumMedia": "0",
                "NumSegments": "1",
            }
            signature = validator.compute_signature(PUBLIC + "/sms", params)
            headers = {"Content-Type": FORM, "X-Twilio-Signature": signature}
            out.write(json.dumps({"body": urlencode(params), "headers": headers}) + "\n")


def load(
    port: int, requests: Path, connections: int, seconds: float, path: str = "/sms"
) -> dict[str, object]:
    """One run of the load client, in its own process."""
    command = [sys.executable, "-m", "benchmarks.loadgen", str(port), path, str(requests)]
    command += ["--connections", str(connections), "--seconds", str(seconds)]
    output = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    figures: dict[str, object] = json.loads(output.stdout.strip().splitlines()[-1])
    return figures


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A server in its own process."""
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then wait."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> int:
    """Run both loads on both servers and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--knowledge", type=Path, default=ROOT / "knowledge")
    args = parser.parse_args()
    base = messages()
    phases = [("warm-up", "a", 16, 3.0), ("a", "a", 16, args.seconds)]
    phases += [("a", "a", 4, args.seconds / 2), ("b", "b", 16, args.seconds)]
    phases += [("b", "b", 4, args.seconds / 2)]
    with tempfile.TemporaryDirectory(prefix="puente-sms-") as name:
        folder = Path(name)
        files: list[Path] = []
        first = 0
        for number, (_, kind, connections, seconds) in enumerate(phases):
            count = int(seconds * (7000 if connections == 16 else 5000))
            texts = base if kind == "a" else never_seen(base, count, seed=number)
            if kind == "a":
                texts = random.Random(number).sample(base, len(base))
            path = folder / f"phase{number}.jsonl"
            write_requests(path, texts, count, first)
            files.append(path)
            first += count
        ref_port, port = free_port(), free_port()
        env = {
            **os.environ,
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": PUBLIC,
            "SESSION_SECRET": "bench-session-secret-0123456789",
            "SESSION_STORE": str(folder / "sessions.sqlite3"),
        }
        python = sys.executable
        reference = start([python, "-m", "benchmarks.reference_app", str(ref_port)], env)
        serve = [python, "-m", "bot", "serve", "--port", str(port)]
        puente = start([*serve, "--knowledge", str(args.knowledge)], env)
        results = []
        try:
            wait_up(f"http://127.0.0.1:{port}/healthz")
            time.sleep(1.0)
            for (label, _, connections, seconds), path in zip(phases, files, strict=True):
                bare = load(ref_port, path, connections, seconds)
                ours = load(port, path, connections, seconds)
                if label != "warm-up":
                    results.append((label, connections, bare, ours))
        finally:
            stop(puente)
            stop(reference)
    print(
        f"one uvicorn worker each, asyncio load client on localhost, {args.seconds:g} s at 16 "
        f"connections, {args.seconds / 2:g} s at 4; (a) {len(base)} realistic texts, "
        "(b) texts never repeated"
    )
    for label, connections, bare, ours in results:
        ratio = float(ours["rate"]) / float(bare["rate"])  # type: ignore[arg-type]
        print(
            f"({label}) {connections:2d} conn: bare {bare['rate']:>8,.0f}/s p50 "
            f"{bare['p50_ms']} p99 {bare['p99_ms']} ms | puente {ours['rate']:>8,.0f}/s p50 "
            f"{ours['p50_ms']} p99 {ours['p99_ms']} ms | ratio {ratio:.2f} | statuses "
            f"bare {bare['statuses']} puente {ours['statuses']}"
            + (" | RAN OUT of requests" if ours["ran_out"] or bare["ran_out"] else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
