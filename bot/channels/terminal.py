"""The terminal chat: the shipped base, no tokens needed. A thin adapter like any channel."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot.conversation.engine import Engine
from bot.conversation.messages import Inbound, Reply, Unanswered
from bot.conversation.session import Session

QUIT = {"quit", "exit", "/quit", "/exit"}


def render(reply: Reply, translate: Callable[[str, str], str] = lambda lang, text: text) -> str:
    """A reply as plain text, with choices as numbered lines."""
    parts = []
    if reply.warning:
        parts.append(f"!! {reply.warning}")
    if reply.notice:
        parts.append(f"({reply.notice})")
    if reply.title:
        parts.append(f"== {reply.title} ==")
    parts.append(reply.text)
    for card in reply.services:
        details = [card.name]
        details += [f"{d.label}: {d.value}" if d.label else d.value for d in card.details]
        parts.append(" - " + " | ".join(details))
    if reply.footer:
        parts.append(reply.footer)
    for number, choice in enumerate(reply.choices, start=1):
        parts.append(f"  {number}. {choice.label}")
    if reply.ask_feedback:
        parts.append("  0. " + translate(reply.language, "This did not help"))
    return "\n".join(parts)


async def chat(
    engine: Engine,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    country: str | None = None,
    lang: str | None = None,
    record: Callable[[Unanswered], Awaitable[None]] | None = None,
) -> None:
    """Talk with the engine until end of input or 'quit'.

    With `record`, questions left unanswered are kept for `puente report unanswered`, as the
    other channels keep them.
    """
    session = Session(country=country, language=lang)
    print("Puente — type your question (quit to leave).", file=stdout)
    loop = asyncio.get_running_loop()
    while True:
        print("> ", end="", file=stdout, flush=True)
        line = await loop.run_in_executor(None, stdin.readline)
        if not line or line.strip().lower() in QUIT:
            print(file=stdout)
            return
        outcome = await engine.handle(Inbound("terminal", "local", text=line), session)
        for reply in outcome.replies:
            print(render(reply, outcome.snapshot.locales.text), file=stdout)
            print(file=stdout)
        if outcome.unanswered is not None and record is not None:
            await record(outcome.unanswered)
        session = outcome.session or Session()
