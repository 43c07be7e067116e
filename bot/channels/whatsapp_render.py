"""Replies as WhatsApp messages: plain Unicode, *bold* titles, numbered choices, 1,600 characters.

WhatsApp is not SMS: there is no GSM-7 alphabet to fit and no per-segment price, so the whole
answer goes at once (no MORE paging), split only where Twilio's 1,600-character limit forces it.
Phone numbers are written as text: WhatsApp makes them tappable by itself.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.packing import pack
from bot.conversation.messages import Reply

LIMIT = 1600  # characters of one WhatsApp message body through Twilio
Translate = Callable[[str, str], str]


def bold(text: str) -> str:
    """A *bold* line (content is sent as written: escaping would break the URLs in it)."""
    return f"*{text.strip()}*"


def _services(reply: Reply) -> list[str]:
    blocks = []
    for card in reply.services:
        lines = [bold(card.name)]
        for detail in card.details:
            label = f"{detail.label}: " if detail.label else ""
            lines.append(label + detail.value)
        blocks.append("\n".join(lines))
    return blocks


def render(reply: Reply, translate: Translate) -> list[str]:
    """The WhatsApp messages of one reply, each at most LIMIT characters."""
    lang = reply.language
    blocks = []
    if reply.warning:
        blocks.append("⚠️ " + bold(reply.warning))
    if reply.notice:
        blocks.append(f"_{reply.notice}_")
    if reply.title:
        blocks.append(bold(reply.title))
    blocks.extend(p.strip() for p in reply.text.split("\n\n") if p.strip())
    blocks.extend(_services(reply))
    if reply.footer:
        blocks.append(reply.footer)  # not in _italics_: its URL may hold underscores
    if reply.choices:
        lines = [translate(lang, "Reply with a number:")]
        lines += [f"{n}. {c.label}" for n, c in enumerate(reply.choices, start=1)]
        blocks.append("\n".join(lines))
    if reply.ask_feedback:
        blocks.append(translate(lang, "Reply 0 if this did not help."))
    return pack(blocks, LIMIT)
