"""Alert subscriptions as the user sees them: ALERTS, a choice of country or topic, STOP ALERTS.

The session keeps what the user chose ("tt" for every alert of Trinidad and Tobago, "tt:health"
for its health alerts only); `subscriptions.py` turns that into the store's records.
"""

from __future__ import annotations

from dataclasses import replace

from bot.content.model import TOPICS
from bot.conversation import payloads
from bot.conversation.messages import Choice, Reply
from bot.conversation.payloads import Action, Payload
from bot.conversation.replies import TOPIC_LABELS, Composer
from bot.conversation.session import Session

MAX_SUBSCRIPTIONS = 10
ALL = "all"


def _(message: str) -> str:
    """Mark a string for translation; it is looked up in the catalogs when used."""
    return message


def choose(payload: Payload, session: Session, compose: Composer) -> tuple[Session, Reply]:
    """The session and reply for ALERTS (menu or a pick) and STOP ALERTS."""
    if payload.action is Action.NO_ALERTS:
        session = replace(session, alerts=())
        return session, _reply(compose, session, compose.t(_("You will get no more alerts.")))
    country = session.country
    if country is None:
        text = compose.t(_("Alerts are sent per country. Which country are you in?"))
        return session, compose.reply(text, choices=compose.countries().choices)
    name = compose.snapshot.base.countries[country].name(compose.lang)
    value = payload.value
    if value != ALL and value not in TOPICS:
        return session, _menu(compose, session, name)
    if value == ALL:
        kept = [a for a in session.alerts if a.split(":")[0] != country]
        wanted = country
    else:
        kept = [a for a in session.alerts if a != country and a != f"{country}:{value}"]
        wanted = f"{country}:{value}"
        if country in session.alerts:  # already gets every alert of the country
            kept, wanted = list(session.alerts), ""
    chosen = tuple([*kept, wanted][-MAX_SUBSCRIPTIONS:]) if wanted else tuple(kept)
    session = replace(session, alerts=chosen)
    if value == ALL or not wanted:
        said = compose.t(_("You will get alerts for {country}."), country=name)
    else:
        topic = compose.t(TOPIC_LABELS[value])
        said = compose.t(
            _("You will get alerts about {topic} for {country}."), topic=topic, country=name
        )
    kept_note = compose.t(
        _("To send them, Puente keeps where to reach you (your number or chat) until they stop.")
    )
    stop = compose.t(_("Reply STOP ALERTS to end them."))
    return session, _reply(compose, session, f"{said} {kept_note} {stop}")


def _menu(compose: Composer, session: Session, name: str) -> Reply:
    text = compose.t(
        _("Alerts for {country} tell you what changes overnight: storms, borders, deadlines."),
        country=name,
    )
    choices = [Choice(compose.t(_("All alerts for {country}"), country=name), payloads.alerts(ALL))]
    choices += [
        Choice(compose.t(_("Only: {topic}"), topic=compose.t(TOPIC_LABELS[t])), payloads.alerts(t))
        for t in TOPICS
    ]
    if session.alerts:
        choices.append(Choice(compose.t(_("Stop alerts")), payloads.NO_ALERTS))
    return compose.reply(text, choices=tuple(choices))


def _reply(compose: Composer, session: Session, text: str) -> Reply:
    return Composer(compose.snapshot, session).reply(
        text,
        choices=(Choice(compose.t(_("Menu")), payloads.MENU),),
    )
