"""Replies as SMS: short, GSM-7 where possible, numbered choices, long answers paged.

Pure functions: a reply and the user's translations in, the parts to send out.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.channels.gsm import fits, to_gsm
from bot.conversation.messages import Reply

Translate = Callable[[str, str], str]
_URL_SCHEME = re.compile(r"^https?://(www\.)?")


def _short_url(url: str) -> str:
    return _URL_SCHEME.sub("", url).rstrip("/")


def compose(reply: Reply, translate: Translate) -> tuple[str, str]:
    """The body of an SMS reply and its trailer (choices and feedback), before paging."""
    lang = reply.language
    # Most actionable first, every paid character earning its place: the answer (its steps and
    # contacts), the warning in one line, contacts the answer did not already give, and where
    # to confirm as a bare domain.
    body = reply.short or reply.text
    lines = [f"{reply.title}: {body}" if reply.title and not reply.short else body]
    if reply.warning:
        lines.append("! " + _first_sentence(reply.warning))
    if reply.notice:
        lines.append(reply.notice)
    given = _digits(body)
    for card in reply.services[:3]:
        contact = card.contact
        if contact and contact.startswith("http"):
            contact = _short_url(contact)
        if contact and _digits(contact) and _digits(contact)[-7:] in given:
            continue  # "RENAP: 2416-1900" is already in the text
        lines.append(f"{card.name}{': ' + contact if contact else ''}")
    if reply.footer:
        lines.append(_domain_in(reply.footer))
    trailer = []
    if reply.choices:
        numbered = " ".join(f"{n}={c.label}" for n, c in enumerate(reply.choices, start=1))
        trailer.append(f"{translate(lang, 'Reply with a number:')} {numbered}")
    if reply.ask_feedback:
        trailer.append(translate(lang, "Reply 0 if this did not help."))
    return "\n".join(lines), "\n".join(trailer)


def _domain_in(text: str) -> str:
    """A footer's URL as its site alone: 'renap.gob.gt', not the whole path."""
    return re.sub(r"https?://(?:www\.)?([^/\s]+)\S*", r"\1", text)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _first_sentence(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]
    return first if len(first) <= 120 else first[:117].rstrip() + "..."


def render(reply: Reply, translate: Translate, budget: int) -> list[str]:
    """The SMS parts for one reply: the first to send now, the rest for MORE."""
    body, trailer = compose(reply, translate)
    whole = to_gsm(f"{body}\n{trailer}" if trailer else body)
    if fits(whole, budget):
        return [whole]
    more = to_gsm(translate(reply.language, "Reply MORE for the rest."))
    pieces = _pieces(to_gsm(body), lambda piece: fits(f"{piece}\n{more}", budget))
    pages: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}".strip() if current else piece
        if current and not fits(f"{candidate}\n{more}", budget):
            pages.append(f"{current}\n{more}")
            current = piece
        else:
            current = candidate
    last = f"{current}\n{to_gsm(trailer)}" if trailer else current
    if fits(last, budget) or not trailer:
        pages.append(last)
    else:
        pages.extend([f"{current}\n{more}", to_gsm(trailer)])
    return pages


def _pieces(text: str, small: Callable[[str], bool]) -> list[str]:
    """Split at paragraphs, then sentences, then words, so pages break where reading does."""
    pieces: list[str] = []
    for paragraph in text.split("\n"):
        for sentence in re.split(r"(?<=[.!?])\s+", paragraph.strip()):
            if not sentence:
                continue
            if small(sentence):
                pieces.append(sentence)
                continue
            for word in sentence.split():
                while not small(word):  # a URL or a run of characters longer than a page
                    cut = next(n for n in range(len(word), 0, -1) if small(word[:n]))
                    pieces.append(word[:cut])
                    word = word[cut:]
                pieces.append(word)
    return pieces
