"""What a tapped button or a numbered choice means, written once.

A payload travels as text (Telegram's callback data, the numbered menu kept in the session),
so it is encoded and parsed here and nowhere else. Older Telegram buttons keep working: the
text they carry is parsed the same way for as long as the action exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    """Something the user can ask for without words."""

    ENTRY = "entry"  # value: an entry id
    TOPIC = "topic"  # value: a topic
    LANGUAGE = "lang"  # value: a language code; none shows the language menu
    COUNTRY = "country"  # value: a country code or "none"; none shows the country menu
    MENU = "menu"
    HELP = "help"
    MORE = "more"
    FORGET = "forget"
    OPT_OUT = "optout"
    OPT_IN = "optin"
    FEEDBACK = "feedback"  # value: "yes" or "no"
    HANDOVER = "person"  # value: why it was offered ("unsure", "emergency", "menu")
    ALERTS = "alerts"  # value: "all" or a topic subscribes; none shows the alerts menu
    NO_ALERTS = "noalerts"  # every subscription of the user ends


NO_COUNTRY = "none"  # the value of "Skip" in the country menu
_ALIASES = {"language": Action.LANGUAGE}  # the spelling of older buttons


@dataclass(frozen=True)
class Payload:
    """An action and its value, e.g. (ENTRY, "tt-health-primary-care")."""

    action: Action
    value: str = ""

    def encode(self) -> str:
        """The text form, as buttons and sessions carry it."""
        return f"{self.action.value}:{self.value}" if self.value else self.action.value

    @classmethod
    def parse(cls, text: str) -> Payload | None:
        """Read the text form; None for anything that is not a payload."""
        name, _, value = text.partition(":")
        action = _ALIASES.get(name)
        if action is None:
            try:
                action = Action(name)
            except ValueError:
                return None
        return cls(action, value)


def entry(entry_id: str) -> Payload:
    """Show this entry."""
    return Payload(Action.ENTRY, entry_id)


def topic(name: str) -> Payload:
    """List this topic's entries."""
    return Payload(Action.TOPIC, name)


def language(code: str = "") -> Payload:
    """Answer in this language (or show the language menu)."""
    return Payload(Action.LANGUAGE, code)


def country(code: str = "") -> Payload:
    """Answer for this country (or show the country menu)."""
    return Payload(Action.COUNTRY, code)


def feedback(helpful: bool) -> Payload:
    """The answer did (or did not) help."""
    return Payload(Action.FEEDBACK, "yes" if helpful else "no")


def person(reason: str = "asked") -> Payload:
    """Talk to a person of the organisation (human handover)."""
    return Payload(Action.HANDOVER, reason)


MENU = Payload(Action.MENU)
HELP = Payload(Action.HELP)
MORE = Payload(Action.MORE)
FORGET = Payload(Action.FORGET)
OPT_OUT = Payload(Action.OPT_OUT)
OPT_IN = Payload(Action.OPT_IN)
ALERTS = Payload(Action.ALERTS)
NO_ALERTS = Payload(Action.NO_ALERTS)


def alerts(scope: str) -> Payload:
    """Subscribe to the country's alerts: "all", or one topic's."""
    return Payload(Action.ALERTS, scope)
