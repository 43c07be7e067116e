"""A live alert is shown once, first, as one short line to a user who writes in meanwhile.

Emergency numbers still come before it: someone in danger reads those first.
"""

from __future__ import annotations

from dataclasses import replace

from bot.conversation.messages import Outcome, Reply, ReplyKind
from bot.conversation.replies import Composer


def live_alerts_first(outcome: Outcome, now: float) -> Outcome:
    """The outcome with the live alerts of the user's country not yet shown to them put first."""
    session = outcome.session
    if session is None or session.opted_out or not outcome.replies or session.country is None:
        return outcome
    alerts = outcome.snapshot.base.alerts
    due = [
        a
        for a in alerts
        if a.id not in session.alerts_seen and a.live(now) and a.concerns(session.country)
    ]
    if not due:
        return outcome
    compose = Composer(outcome.snapshot, session)
    lines = []
    for alert in due:
        short, lang = alert.in_language(compose.lang, short=True)
        label = outcome.snapshot.locales.text(lang, "Alert")
        lines.append(
            Reply(f"{label}: {short}", ReplyKind.ALERT, language=lang, short=f"{label}: {short}")
        )
    live = {a.id for a in alerts}  # forget alerts that are gone, so the list stays short
    seen = tuple(i for i in session.alerts_seen if i in live) + tuple(a.id for a in due)
    replies = list(outcome.replies)
    at = 1 if replies[0].kind is ReplyKind.EMERGENCY else 0
    replies[at:at] = lines
    return replace(outcome, replies=tuple(replies), session=replace(session, alerts_seen=seen))
