"""Long answers on channels that charge per message: the first page now, the rest on MORE.

The one place that knows about pages. A channel that pages (SMS) hands the conversation its
`Split`, which cuts one reply into pages; this module keeps what was not sent in the session
and the engine serves it, page by page, when the user replies MORE.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.content.locales import Locales
from bot.conversation.messages import Outcome, Reply, ReplyKind
from bot.conversation.session import Session

Split = Callable[[Reply, Locales], Sequence[str]]


def paginate(outcome: Outcome, split: Split) -> Outcome:
    """The outcome with `parts` to send now and the pages still to come in its session."""
    parts: list[str] = []
    pending: tuple[str, ...] = ()
    for reply in outcome.replies:
        if reply.kind is ReplyKind.PAGE:
            parts.append(reply.text)  # already cut to size when its answer was paged
            continue
        pages = split(reply, outcome.snapshot.locales)
        parts.append(pages[0])
        pending = tuple(pages[1:]) or pending
    session = outcome.session
    if session is not None and outcome.replies and outcome.replies[-1].kind is not ReplyKind.PAGE:
        session = replace(session, pages=pending)
    return replace(outcome, session=session, parts=tuple(parts))


def next_page(session: Session) -> tuple[str | None, Session]:
    """The next page to send for MORE, and the session without it."""
    if not session.pages:
        return None, session
    return session.pages[0], replace(session, pages=session.pages[1:])
