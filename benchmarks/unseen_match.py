"""`Matcher.match` on messages it has never seen, in a process that has already served others.

The development messages of tests/data (heldout, shipped) are shuffled; half are matched first
(a running service has seen other messages, so its per-version caches are warm), then each of
the other half is made new (one word upper-cased, a filler added) and timed alone, in thread CPU
time so other processes on the machine weigh less. The same messages matched a second time, a
cache's best case, are the baseline printed beside them.

    python -m benchmarks.unseen_match
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

from bot.library import build_snapshot

ROOT = Path(__file__).resolve().parent.parent


def _messages() -> list[tuple[str, str | None, str | None]]:
    found = []
    data = ROOT / "tests" / "data"
    for path in sorted([*data.glob("heldout/*.jsonl"), *data.glob("shipped/*.jsonl")]):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            found.append((item["text"], item.get("country"), item.get("lang")))
    return found


def _percentiles(times: list[float]) -> str:
    times = sorted(times)
    at = lambda q: times[min(len(times) - 1, int(len(times) * q))] * 1e6  # noqa: E731
    return f"p50 {at(0.5):.0f} µs, p90 {at(0.9):.0f} µs, p99 {at(0.99):.0f} µs"


def main() -> None:
    matcher = build_snapshot(ROOT / "knowledge").matcher
    rng = random.Random(3)
    messages = _messages()
    rng.shuffle(messages)
    half = len(messages) // 2
    for text, country, lang in messages[:half]:
        matcher.match(text, country, lang)
    unseen, again = [], []
    for text, country, lang in messages[half:]:
        words = text.split()
        k = rng.randrange(len(words))
        words[k] = words[k].upper()
        new = " ".join(words) + rng.choice(["", " pls", " por favor", " merci", " ok"])
        start = time.thread_time()
        matcher.match(new, country, lang)
        unseen.append(time.thread_time() - start)
        start = time.thread_time()
        matcher.match(new, country, lang)
        again.append(time.thread_time() - start)
    print(f"{len(unseen)} messages never seen (after {half} others): {_percentiles(unseen)}")
    print(f"the same messages a second time:        {_percentiles(again)}")


if __name__ == "__main__":
    main()
