"""The `puente` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.library import Snapshot, build_snapshot
from bot.matching import Match
from bot.matching.explain import explain
from bot.settings import DEFAULT_LOCALES, ConfigError, Settings
from bot.storage import StoreError

DEFAULT_KNOWLEDGE = Path("knowledge")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="puente", description=__doc__)
    commands = parser.add_subparsers(dest="command")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--knowledge",
            type=Path,
            default=DEFAULT_KNOWLEDGE,
            help="knowledge folder (default: knowledge/)",
        )
        sub.add_argument("--locales", type=Path, default=DEFAULT_LOCALES, help=argparse.SUPPRESS)
        return sub

    chat = command("chat", "talk with Puente in this terminal")
    chat.add_argument("--country", help="your country code, e.g. tt")
    chat.add_argument("--lang", help="your language, e.g. es")
    ask = command("ask", "match one message (or a batch) and print the decision")
    ask.add_argument("text", nargs="*", help="the message")
    ask.add_argument("--country", help="the user's country code")
    ask.add_argument("--lang", help="the user's chosen language")
    output = ask.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object")
    output.add_argument("--explain", action="store_true", help="show why the entry won")
    ask.add_argument("--batch", type=Path, help="a JSON Lines file of {text, country, lang}")
    check = command("check", "validate the knowledge base and locales")
    check.add_argument("directory", nargs="?", type=Path, help="knowledge folder")
    schema = commands.add_parser("schema", help="print the topic-file format as JSON Schema")
    schema.add_argument("--alerts", action="store_true", help="the alert-file format instead")
    report = command(
        "report", "editors' reports: coverage, confusion, eval FILE, unanswered, handovers"
    )
    from bot.reports.cli import add_arguments

    add_arguments(report)
    serve = command("serve", "serve Telegram and SMS webhooks (configured by environment)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--access-log", action="store_true", help="log every request")
    command("telegram-poll", "talk to Telegram by long polling, for development without a URL")
    command("set-webhook", "register the Telegram webhook and the bot's commands")
    command("train-triage", "train the emergency triage model on locales/triage/train")
    command("build-wordlists", "write locales/words from wordfreq (pip install wordfreq)")
    alerts = command("alerts", "alerts: 'status' shows each alert's progress")
    alerts.add_argument("action", choices=["status"])
    alerts.add_argument("--store", help="the session store (default: SESSION_STORE)")
    bench = command("bench", "measure load, memory and matching speed on a large generated base")
    bench.add_argument("--questions", type=int, default=50_000)
    bench.add_argument("--messages", type=int, default=3_000)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    command = args.command or "chat"
    if args.command is None:
        args = _parser().parse_args(["chat"])
    handlers = {
        "chat": _chat,
        "ask": _ask,
        "check": _check,
        "bench": _bench,
        "train-triage": _train_triage,
        "build-wordlists": _build_wordlists,
        "schema": _schema,
        "serve": _serve,
        "telegram-poll": _poll,
        "set-webhook": _set_webhook,
        "report": _report,
        "alerts": _alerts,
    }
    try:
        return handlers[command](args)
    except KeyboardInterrupt:
        return 130


def _load(args: argparse.Namespace, out: TextIO = sys.stderr) -> Snapshot:
    snapshot = build_snapshot(args.knowledge, args.locales)
    if snapshot.errors:
        print(
            f"{len(snapshot.errors)} problem(s) in the content; run 'puente check' for the "
            "list. Serving the entries that are valid.",
            file=out,
        )
    return snapshot


def _chat(args: argparse.Namespace) -> int:
    from bot.channels.terminal import chat
    from bot.wiring import build, running

    settings = _settings(args)
    if settings is None:
        return 2

    snapshot = _load(args)
    if not _choices_valid(args, snapshot, "chat"):
        return 2
    try:
        system = build(settings, snapshot)
    except StoreError as exc:
        print(f"puente chat: {exc}", file=sys.stderr)
        return 2

    async def run() -> None:
        # The same store `puente report unanswered` reads, so "0" in a trial chat is kept too.
        async with running(system):
            await chat(
                system.conversations.engine,
                country=args.country,
                lang=args.lang,
                record=system.unanswered.add,
            )

    asyncio.run(run())
    return 0


def decision(match: Match) -> dict[str, Any]:
    """The JSON form of a decision, as `ask --json` and `--batch` print it."""
    return {
        "id": match.entry.id if match.entry else None,
        "score": match.score,
        "lang": match.language,
        "country": match.country,
        "alternatives": [entry.id for entry in match.alternatives],
    }


def _choices_valid(args: argparse.Namespace, snapshot: Snapshot, command: str) -> bool:
    """--country and --lang folded to lower case and checked; False after saying what is valid."""
    for flag, valid in (
        ("country", snapshot.base.countries),
        ("lang", snapshot.locales.catalogs),
    ):
        given = getattr(args, flag)
        if not given:
            continue
        given = given.strip().lower()
        setattr(args, flag, given)
        if given not in valid:
            listed = ", ".join(sorted(valid))
            print(
                f"puente {command}: unknown --{flag} '{given}'; use one of: {listed}",
                file=sys.stderr,
            )
            return False
    return True


def _ask(args: argparse.Namespace) -> int:
    snapshot = _load(args)
    if not _choices_valid(args, snapshot, "ask"):
        return 2
    matcher = snapshot.matcher
    if args.batch:
        try:
            lines = args.batch.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            print(f"puente: cannot read {args.batch}: {exc.strerror}", file=sys.stderr)
            return 2
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                text = str(item["text"])
            except (ValueError, KeyError, TypeError):
                print(f'puente: {args.batch}:{number}: expected {{"text": ...}}', file=sys.stderr)
                print(
                    json.dumps(
                        {
                            "id": None,
                            "score": 0,
                            "lang": None,
                            "country": None,
                            "alternatives": [],
                            "error": "bad line",
                        }
                    )
                )
                continue
            match = matcher.match(text, item.get("country") or None, item.get("lang") or None)
            print(json.dumps(decision(match), ensure_ascii=False))
        return 0
    text = " ".join(args.text)
    if not text.strip():
        print("puente ask: give a message, or --batch FILE", file=sys.stderr)
        return 2
    match = matcher.match(text, args.country, args.lang)
    if args.json:
        print(json.dumps(decision(match), ensure_ascii=False))
    elif args.explain:
        print(explain(match))
    else:
        entry = match.entry
        print(f"{entry.id} ({match.score})" if entry else f"not sure ({match.score})")
    return 0


def _check(args: argparse.Namespace) -> int:
    from bot.reports.checks import content_warnings

    directory = args.directory or args.knowledge
    snapshot = build_snapshot(directory, args.locales)
    budget = _sms_budget()
    if budget is None:
        return 2
    problems = [*snapshot.problems, *content_warnings(snapshot, budget)]
    for problem in problems:
        print(problem)
    errors = len(snapshot.errors)
    warnings = len(problems) - errors
    base = snapshot.base
    print(
        f"{len(base.entries)} entries in {len(base.countries)} countries: {errors} error(s), "
        f"{warnings} warning(s)"
    )
    return 1 if errors else 0


def _bench(args: argparse.Namespace) -> int:
    from bot.reports.bench import run

    return run(args.knowledge, args.locales, args.questions, args.messages)


def _build_wordlists(args: argparse.Namespace) -> int:
    from bot.content.wordlists import build_wordlists

    try:
        written = build_wordlists(args.locales / "words")
    except ImportError:
        print("puente build-wordlists needs wordfreq: pip install -e '.[data]'", file=sys.stderr)
        return 2
    print(", ".join(f"{lang}: {n} words" for lang, n in written.items()))
    return 0


def _train_triage(args: argparse.Namespace) -> int:
    from bot.content import load_knowledge
    from bot.content.locales import load_locales
    from bot.content.triage import load_triage
    from bot.content.triage_train import train

    folder = args.locales / "triage"
    triage, _problems = load_triage(folder)
    base, _ = load_knowledge(args.knowledge)
    locales, _ = load_locales(args.locales)
    figures = train(triage, folder, base, locales)
    print(
        f"trained on {figures['examples']} examples ({figures['emergencies']} emergencies), "
        f"{figures['features']} features; threshold {figures['threshold']:.3f}: "
        f"cross-validated recall {figures['cv_recall']:.1%}, "
        f"false alarms {figures['cv_false_alarms']:.1%}"
    )
    return 0


def _schema(args: argparse.Namespace) -> int:
    from bot.content.schema import alert_schema, topic_schema

    made = alert_schema() if getattr(args, "alerts", False) else topic_schema()
    print(json.dumps(made, indent=2, ensure_ascii=False))
    return 0


def _log_to_stderr() -> None:
    """The service's own INFO lines (reloads, Telegram up, store outages) next to uvicorn's."""
    import logging

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Bot API call is noise


def _sms_budget() -> int | None:
    """SMS_MAX_SEGMENTS as the service reads it, so `check` judges SMS length the same way."""
    import os

    try:
        return Settings.sms_budget_from(os.environ)
    except ConfigError as exc:
        print(f"puente: configuration: {exc}", file=sys.stderr)
        return None


def _settings(args: argparse.Namespace) -> Settings | None:
    import os

    try:
        return Settings.from_env(os.environ, args.knowledge, args.locales)
    except ConfigError as exc:
        print(f"puente: configuration: {exc}", file=sys.stderr)
        return None


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.web import create_app
    from bot.wiring import build

    settings = _settings(args)
    if settings is None:
        return 2
    if not settings.telegram_on and not settings.sms_on:
        print(
            "puente serve: neither TELEGRAM_BOT_TOKEN nor TWILIO_AUTH_TOKEN is set; serving "
            "only /healthz and /metrics (try 'puente chat' for a terminal conversation)",
            file=sys.stderr,
        )
    _log_to_stderr()
    try:
        app = create_app(build(settings, _load(args)))
    except StoreError as exc:
        print(f"puente serve: {exc}", file=sys.stderr)
        return 2
    # Uvicorn handles SIGTERM: it stops accepting, finishes requests in flight, then runs the
    # app's shutdown, which answers queued Telegram updates and closes the session store.
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        access_log=args.access_log,
        timeout_graceful_shutdown=20,
        # Past this many connections new ones get 503 at once, so a flood of slow clients
        # cannot use every file descriptor; idle keep-alive connections close after 5 s.
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=5,
        h11_max_incomplete_event_size=16 * 1024,  # headers larger than this are refused
    )
    return 0


def _poll(args: argparse.Namespace) -> int:
    from bot.library import Watcher
    from bot.wiring import build, telegram_application

    settings = _settings(args)
    if settings is None:
        return 2
    if not settings.telegram_token:
        print("puente telegram-poll: TELEGRAM_BOT_TOKEN is not set", file=sys.stderr)
        return 2
    _log_to_stderr()
    try:
        system = build(settings, _load(args))
    except StoreError as exc:
        print(f"puente telegram-poll: {exc}", file=sys.stderr)
        return 2
    application = telegram_application(system, polling=True)
    watcher = Watcher(system.library, settings.knowledge, settings.locales)
    sweeper = None
    if settings.handover_on:  # moderators' group: the same handover as `puente serve`
        from bot.web import Sweeper
        from bot.wiring import handover

        sweeper = Sweeper(handover(system, application))

    async def started(_app: object) -> None:
        await watcher.start()
        if sweeper is not None:
            sweeper.start()

    async def stopped(_app: object) -> None:
        await watcher.stop()
        if sweeper is not None:
            await sweeper.stop()
        await system.store.close()

    application.post_init = started
    application.post_shutdown = stopped
    # run_polling owns the event loop and stops on SIGINT or SIGTERM.
    application.run_polling(allowed_updates=["message", "callback_query", "my_chat_member"])
    return 0


def _set_webhook(args: argparse.Namespace) -> int:
    from bot.channels.telegram import register
    from bot.wiring import telegram_registrar

    settings = _settings(args)
    if settings is None:
        return 2
    if not (settings.telegram_token and settings.public_base_url):
        print(
            "puente set-webhook: TELEGRAM_BOT_TOKEN and PUBLIC_BASE_URL must be set",
            file=sys.stderr,
        )
        return 2
    url = settings.public_base_url + "/telegram"
    locales = _load(args).locales
    application = telegram_registrar(settings)

    async def run() -> None:
        async with application:
            translations = {
                code: (lambda text, code=code: locales.text(code, text))
                for code in locales.catalogs
            }
            await register(application, url, settings.telegram_secret or "", translations)

    asyncio.run(run())
    print(f"webhook set to {url}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from bot.reports.cli import run

    return run(args)


def _alerts(args: argparse.Namespace) -> int:
    import os
    import time

    from bot.reports.alerts import document, read_events, tally
    from bot.storage import StoreError

    spec = args.store or os.environ.get("SESSION_STORE", "").strip() or "puente-sessions.sqlite3"
    if "://" not in spec and not Path(spec).exists():
        print(f"puente alerts: no session store at '{spec}' (set SESSION_STORE or give --store)")
        return 2
    try:
        records, waiting = asyncio.run(read_events(spec))
    except StoreError as exc:
        print(f"puente alerts: {exc}", file=sys.stderr)
        return 2
    snapshot = build_snapshot(args.knowledge, args.locales)
    print(document(snapshot.base.alerts, tally(records), time.time()))
    if waiting is not None:
        print(f"{waiting} message(s) waiting in the send queues")
    return 0
