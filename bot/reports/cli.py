"""`puente report NAME`: the command-line side of the reports."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from bot.library import Snapshot, build_snapshot
from bot.matching.matcher import ANSWER_AT
from bot.reports.document import Document, render_text
from bot.reports.html import write_html

REPORTS = ("coverage", "confusion", "eval", "triage", "unanswered", "handovers")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the report command's arguments."""
    parser.add_argument("name", choices=list(REPORTS))
    parser.add_argument(
        "file",
        nargs="?",
        help="for eval: a JSON Lines file with 'expect'; for triage: one with 'emergency'",
    )
    parser.add_argument(
        "--html", type=Path, metavar="FILE", help="write a self-contained HTML page instead"
    )
    parser.add_argument(
        "--stale-months",
        type=int,
        default=12,
        metavar="N",
        help="coverage: an entry reviewed longer ago than this is stale (default 12)",
    )
    parser.add_argument(
        "--since", type=float, metavar="DAYS", help="unanswered, handovers: only the last DAYS days"
    )
    parser.add_argument(
        "--store",
        metavar="SPEC",
        help="unanswered, handovers: the session store (default: SESSION_STORE or the local file)",
    )


def run(args: argparse.Namespace) -> int:
    """Print the report (or write it as HTML); return the exit status."""
    with_file = args.name in ("eval", "triage")
    if with_file and not args.file:
        print(f"puente report {args.name}: give a JSON Lines file", file=sys.stderr)
        return 2
    if not with_file and args.file:
        print(f"puente report {args.name}: takes no file (did you mean --html?)", file=sys.stderr)
        return 2
    from_store = args.name in ("unanswered", "handovers")
    document = _unanswered(args) if from_store else _from_base(args)
    if document is None:
        return 2
    if args.html:
        try:
            write_html(document, args.html)
        except OSError as exc:
            print(f"puente report: cannot write {args.html}: {exc.strerror}", file=sys.stderr)
            return 2
        print(f"wrote {args.html}", file=sys.stderr)
    else:
        sys.stdout.write(render_text(document))
    return 0


def _snapshot(args: argparse.Namespace) -> Snapshot:
    snapshot = build_snapshot(args.knowledge, args.locales)
    if snapshot.errors:
        print(
            f"{len(snapshot.errors)} problem(s) in the content; run 'puente check' for the "
            "list. The report covers the entries that are valid.",
            file=sys.stderr,
        )
    return snapshot


def _from_base(args: argparse.Namespace) -> Document | None:
    snapshot = _snapshot(args)
    if args.name == "coverage":
        from bot.reports import coverage

        found = coverage.coverage(snapshot, args.stale_months)
        return coverage.document(found, snapshot.base.version, args.stale_months)
    if args.name == "confusion":
        from bot.reports import confusion

        return confusion.document(confusion.leave_one_out(snapshot.base, snapshot.locales))
    path = Path(args.file)
    if args.name == "triage":
        from bot.reports import triage

        try:
            return triage.document(triage.judge(snapshot.triage, path), str(path))
        except (OSError, ValueError, KeyError) as exc:
            print(f"puente report triage: cannot read {path}: {exc}", file=sys.stderr)
            return None
    from bot.reports import evaluate

    try:
        cases, bad = evaluate.read_cases(path)
    except OSError as exc:
        print(f"puente report eval: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return None
    outcomes = evaluate.evaluate(snapshot.matcher, cases)
    known = {entry.id for entry in snapshot.base.entries}
    return evaluate.document(outcomes, str(path), bad, known, ANSWER_AT)


def _unanswered(args: argparse.Namespace) -> Document | None:
    from bot.content.locales import load_locales
    from bot.reports import unanswered
    from bot.settings import ConfigError, Settings
    from bot.storage import open_store

    try:
        # The service's own settings: the same store, and the same retention, which reading
        # the log enforces (a shorter one here would delete records the service still keeps).
        settings = Settings.from_env(os.environ, args.knowledge, args.locales)
    except ConfigError as exc:
        print(f"puente: configuration: {exc}", file=sys.stderr)
        return None
    spec = args.store or settings.session_store
    if "://" not in spec and not Path(spec).exists():
        print(
            f"puente report unanswered: no session store at '{spec}' "
            "(set SESSION_STORE or give --store)",
            file=sys.stderr,
        )
        return None

    if args.name == "handovers":
        return _handovers(spec, args.since)

    async def read() -> list[unanswered.Asked]:
        store = open_store(spec)
        try:
            return await unanswered.read(store, args.since, settings.unanswered_days)
        finally:
            await store.close()

    locales, _ = load_locales(args.locales)
    stopwords = {code: language.stopwords for code, language in locales.languages.items()}
    groups = unanswered.group(asyncio.run(read()), stopwords)
    return unanswered.document(groups, args.since, spec)


def _handovers(spec: str, days: float | None) -> Document:
    import time

    from bot.reports import handovers
    from bot.storage import open_store

    async def read() -> list[dict[str, object]]:
        store = open_store(spec)
        try:
            return await handovers.read(store, days, time.time())
        finally:
            await store.close()

    return handovers.document(handovers.tally(asyncio.run(read())), days)
