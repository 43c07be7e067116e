"""`puente bench`: load, memory and matching speed on a large base generated from the shipped one.

The generated base copies the shipped entries into synthetic countries and varies their example
questions (accents dropped, a letter swapped) until it holds the number of questions asked for.
The naive approach it compares against is what a first version would do: rapidfuzz's
`extractOne` with `WRatio` over every example question, for every message.
"""

from __future__ import annotations

import random
import resource
import statistics
import string
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz import fuzz, process

from bot.content import load_knowledge
from bot.library import build_snapshot
from bot.normalise import fold


def _rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _typo(text: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text
    i = rng.choice(letters[1:])
    return text[:i] + rng.choice(string.ascii_lowercase) + text[i + 1 :]


def generate(source: Path, target: Path, questions: int, seed: int = 7) -> int:
    """Write a base of about `questions` example questions under `target`; return the count."""
    base, _ = load_knowledge(source)
    rng = random.Random(seed)
    per_copy = sum(len(qs) for e in base.entries if e.country for qs in e.questions.values()) or 1
    copies = max(1, -(-questions // (per_copy * 2)))
    codes = [a + b for a in string.ascii_lowercase for b in string.ascii_lowercase]
    codes = [c for c in codes if c not in base.countries][:copies]
    countries: dict[str, Any] = {}
    written = 0
    for number, code in enumerate(codes):
        template = list(base.countries.values())[number % len(base.countries)]
        countries[code] = {
            "names": {"en": f"Benchland {code.upper()}"},
            "languages": list(template.languages),
            "emergency": dict(template.emergency),
            "timezone": "UTC",
        }
        by_topic: dict[str, list[dict[str, Any]]] = {}
        for entry in base.entries:
            if entry.country is None:
                continue
            # Every copy gets its own misspellings, so no two questions are the same text.
            varied = {
                lang: [*(_typo(q, rng) for q in qs), *(_typo(fold(q), rng) for q in qs)]
                for lang, qs in entry.questions.items()
            }
            written += sum(len(qs) for qs in varied.values())
            by_topic.setdefault(entry.topic, []).append(
                {
                    "id": f"{entry.id}-{code}",
                    "title": dict(entry.title),
                    "questions": varied,
                    "keywords": {k: list(v) for k, v in entry.keywords.items()},
                    "answer": dict(entry.answer),
                    "sources": [s.url for s in entry.sources],
                    "reviewed": entry.reviewed,
                }
            )
        for topic, entries in by_topic.items():
            folder = target / code
            folder.mkdir(parents=True, exist_ok=True)
            text = yaml.safe_dump({"topic": topic, "entries": entries}, allow_unicode=True)
            (folder / f"{topic}.yaml").write_text(text, encoding="utf-8")
    text = yaml.safe_dump({"countries": countries}, allow_unicode=True)
    (target / "countries.yaml").write_text(text, encoding="utf-8")
    return written


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run(knowledge: Path, locales: Path, questions: int, messages: int) -> int:
    """Generate, load, and time; print the figures."""
    rng = random.Random(11)
    with tempfile.TemporaryDirectory(prefix="puente-bench-") as folder:
        target = Path(folder) / "knowledge"
        count = generate(knowledge, target, questions)
        rss_before = _rss_mb()
        started = time.perf_counter()
        snapshot = build_snapshot(target, locales)
        load_seconds = time.perf_counter() - started
        rss_after = _rss_mb()
    base = snapshot.base
    pool = [(q, e.country) for e in base.entries for qs in e.questions.values() for q in qs]
    sample = [
        (_typo(q, rng) if rng.random() < 0.3 else q, c)
        for q, c in rng.sample(pool, min(messages, len(pool)))
    ]
    matcher = snapshot.matcher
    for text, country in sample[:200]:  # warm caches, as a running service would be
        matcher.match(text, country)
    timings = []
    for text, country in sample:
        start = time.perf_counter_ns()
        matcher.match(text, country)
        timings.append((time.perf_counter_ns() - start) / 1e6)
    choices = [q for q, _ in pool]
    naive = []
    for text, _ in sample[: min(100, len(sample))]:
        start = time.perf_counter_ns()
        process.extractOne(text, choices, scorer=fuzz.WRatio)
        naive.append((time.perf_counter_ns() - start) / 1e6)
    p50, p99 = statistics.median(timings), _percentile(timings, 0.99)
    n50, n99 = statistics.median(naive), _percentile(naive, 0.99)
    print(
        f"generated base: {count} example questions, {len(base.entries)} entries, "
        f"{len(base.countries)} countries"
    )
    print(f"load + index: {load_seconds:.2f} s")
    print(f"resident memory: {rss_after:.0f} MB ({rss_after - rss_before:+.0f} MB for the base)")
    print(f"puente match ({len(timings)} messages): p50 {p50:.3f} ms, p99 {p99:.3f} ms")
    print(f"naive extractOne/WRatio ({len(naive)} messages): p50 {n50:.1f} ms, p99 {n99:.1f} ms")
    print(f"speed-up: p50 x{n50 / p50:.0f}, p99 x{n99 / p99:.0f}")
    return 0
