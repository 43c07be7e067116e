"""What flows through the conversation core: neutral messages in, neutral replies out.

Channels turn a platform's request into an `Inbound` and render each `Reply` their own way;
a reply carries meaning (text, choices, services), never channel markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.conversation.payloads import Payload
from bot.conversation.services import ServiceCard
from bot.conversation.session import Session
from bot.library import Snapshot


@dataclass(frozen=True)
class Inbound:
    """One thing a user sent: text, a tapped choice, a location, or something we cannot read."""

    channel: str
    user: str
    text: str | None = None
    payload: Payload | None = None  # a tapped button's choice
    location: tuple[float, float] | None = None
    country_hint: str | None = None  # e.g. the country of an SMS sender's number
    unsupported: str | None = None  # "sticker", "photo", "voice"...
    resumes: bool = False  # on Telegram, writing again undoes a block; an SMS needs START
    language_hint: str | None = None  # e.g. the language of the user's Telegram app


@dataclass(frozen=True)
class Choice:
    """Something the user can pick: a button on Telegram, a numbered line by SMS."""

    label: str
    payload: Payload


class ReplyKind(StrEnum):
    """What a reply is, so channels and metrics can tell without reading it."""

    ANSWER = "answer"
    EMERGENCY = "emergency"
    NOT_SURE = "not_sure"
    MENU = "menu"
    INFO = "info"
    GREETING = "greeting"
    ERROR = "error"
    PAGE = "page"
    ALERT = "alert"  # a live alert's short text, shown once before the answer


@dataclass(frozen=True)
class Reply:
    """One reply, in the user's language, for any channel to render."""

    text: str
    kind: ReplyKind = ReplyKind.INFO
    language: str = "en"
    title: str | None = None
    warning: str | None = None
    notice: str | None = None  # e.g. "This answer is in French: no Kreyòl text yet."
    services: tuple[ServiceCard, ...] = ()
    footer: str | None = None  # when it was checked and where to confirm
    short: str | None = None  # the entry's own SMS text, when it has one
    choices: tuple[Choice, ...] = ()
    entry_id: str | None = None
    ask_feedback: bool = False  # "Was this helpful?" after an answer


@dataclass(frozen=True)
class Unanswered:
    """A question the base could not answer well, for editors to write the missing entry."""

    text: str
    language: str
    country: str | None
    candidates: tuple[str, ...]
    reason: str  # "abstained" or "not helpful"


@dataclass(frozen=True)
class Outcome:
    """What handling one message produced, and the snapshot it was produced from.

    Channels render from `snapshot` (its locales), never from whatever is current by then, so
    a reload in the middle of a message cannot mix two versions of the content.
    """

    replies: tuple[Reply, ...]
    session: Session | None  # None: the user asked to be forgotten
    snapshot: Snapshot
    unanswered: Unanswered | None = None
    parts: tuple[str, ...] = ()  # on a paging channel: the pages to send now (see paging)
    handover: str | None = None  # the user wants a person: why ("asked", "unsure", "emergency")
    relay: str | None = None  # held by a person: what the user wrote, for the moderator
