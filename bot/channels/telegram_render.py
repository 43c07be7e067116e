"""Replies as Telegram messages: escaped HTML, inline keyboards, parts of 4,096 characters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from bot.channels.packing import pack
from bot.conversation import payloads
from bot.conversation.messages import Choice, Reply

LIMIT = 4096
CALLBACK_LIMIT = 64  # bytes of callback_data Telegram accepts
Translate = Callable[[str, str], str]


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message: HTML text and rows of (label, callback data) buttons."""

    html: str
    buttons: tuple[tuple[tuple[str, str], ...], ...] = ()


def _service_lines(reply: Reply) -> list[str]:
    lines = []
    for card in reply.services:
        parts = [f"<b>{escape(card.name)}</b>"]
        for detail in card.details:
            if detail.field == "url":
                url = escape(detail.value, quote=True)
                parts.append(f'<a href="{url}">{escape(detail.value)}</a>')
            elif detail.label:
                parts.append(f"{escape(detail.label)}: {escape(detail.value)}")
            else:
                parts.append(escape(detail.value))
        lines.append(" · ".join(parts))
    return lines


def _buttons(
    choices: tuple[Choice, ...], feedback: bool, translate: Translate, lang: str
) -> tuple[tuple[tuple[str, str], ...], ...]:
    rows: list[tuple[tuple[str, str], ...]] = [
        ((choice.label, data),)
        for choice in choices
        if len((data := choice.payload.encode()).encode()) <= CALLBACK_LIMIT
    ]
    if feedback:
        rows.insert(
            0,
            (
                ("👍 " + translate(lang, "Yes"), payloads.feedback(True).encode()),
                ("👎 " + translate(lang, "No"), payloads.feedback(False).encode()),
            ),
        )
    return tuple(rows)


def render(reply: Reply, translate: Translate) -> list[Outgoing]:
    """The Telegram messages for one reply; buttons go on the last part."""
    blocks = []
    if reply.warning:
        blocks.append(f"⚠️ <b>{escape(reply.warning)}</b>")
    if reply.notice:
        blocks.append(f"<i>{escape(reply.notice)}</i>")
    if reply.title:
        blocks.append(f"<b>{escape(reply.title)}</b>")
    blocks.extend(escape(p) for p in reply.text.split("\n\n") if p.strip())
    services = _service_lines(reply)
    if services:
        blocks.append("\n".join(services))
    if reply.footer:
        blocks.append(f"<i>{escape(reply.footer)}</i>")
    if reply.ask_feedback:
        blocks.append(escape(translate(reply.language, "Was this helpful?")))
    parts = pack(blocks, LIMIT)
    buttons = _buttons(reply.choices, reply.ask_feedback, translate, reply.language)
    return [Outgoing(p, buttons if i == len(parts) - 1 else ()) for i, p in enumerate(parts)]
