"""The engine's side of human handover: hearing "I want a person", and offering one.

The lexicon's `a_human` concept (locales/concepts/out_of_scope_needs.yaml) already keeps these
messages from the nearest entry; with moderators on, they open a handover instead of "not sure".
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from bot.content.locales import Locales
from bot.conversation import payloads
from bot.conversation.messages import Choice, Reply
from bot.normalise import tokens

CONCEPT = "a_human"
RECENT = 3  # turns shown to the moderator when the handover opens
TURN_CHARS = 200
# Said alone ("agent", "yon moun", "un humain"), these ask for a person; inside a sentence
# ("yon moun vòlè paspò m", someone stole my passport) they do not.
ALONE = frozenset(
    {
        "agent",
        "human",
        "humain",
        "humano",
        "moun",
        "persona",
        "pessoa",
        "person",
        "mens",
        "hende",
        "atendente",
        "operator",
        "operador",
        "medewerker",
    }
)


@lru_cache(maxsize=4)
def _phrases_of(version: str, words: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    return frozenset(p for w in words if (p := tuple(tokens(w))))


def _phrases(locales: Locales) -> frozenset[tuple[str, ...]]:
    by_lang = locales.concepts.get(CONCEPT, {})
    return _phrases_of(locales.version, tuple(w for words in by_lang.values() for w in words))


def asks_for_person(text: str, locales: Locales) -> bool:
    """Whether the message asks for a person, in any language the lexicon knows."""
    words = tuple(tokens(text))
    if len(words) <= 3 and ALONE.intersection(words):
        return True
    for phrase in _phrases(locales):
        size = len(phrase)
        if any(words[i : i + size] == phrase for i in range(len(words) - size + 1)):
            return True
    return False


def offer(reply: Reply, label: str, reason: str) -> Reply:
    """The reply with "Talk to a person" as its last choice."""
    return replace(reply, choices=(*reply.choices, Choice(label, payloads.person(reason))))


def turn(question: str, answered: str | None) -> str:
    """One turn as the moderator reads it: the (redacted) question and what the bot gave."""
    return f"{question[:TURN_CHARS]} → {answered or 'not sure'}"
