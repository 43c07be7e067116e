"""Questions the base could not answer, kept (redacted, without the user) for editors."""

from __future__ import annotations

import json
import re
from dataclasses import asdict

from bot.clock import Clock, system_clock
from bot.conversation.messages import Unanswered
from bot.storage import Store

LOG = "unanswered"
DAY = 86_400.0
PRUNE_EVERY = 3_600.0
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_DIGITS = re.compile(r"\d{5,}")
# A name after these phrases: the next one to three words.
_NAME = re.compile(
    r"(?i)\b(my name is|i am called|me llamo|mi nombre es|je m'appelle|je m’appelle|mon nom est|"
    r"mwen rele|m rele|non mwen se|meu nome é|meu nome e|me chamo)\s+([^\s,.;!?]+(\s+[^\s,.;!?]+)?)"
)
# "soy Marisol Quispe", "I am Rosa Diaz", "je suis Jean Paul", "mwen se Woodly", "sou Ana":
# a name only when capitalised, so "I am pregnant" and "soy de" stay as they are.
_INTRO = re.compile(
    r"\b((?i:i am|i'm|im|soy|je suis|mwen se|m se|eu sou|sou))\s+"
    r"((?:[A-ZÀ-Ý][\w'’-]+)(?:\s+[A-ZÀ-Ý][\w'’-]+){0,2})"
)
# A place someone is from or lives in, when capitalised: "from Barataria", "vivo en Petare".
_PLACE = re.compile(
    r"\b((?i:from|i live in|live in|vivo en|vengo de|soy de|je viens de|j'habite à|"
    r"j'habite a|mwen soti|m soti|mwen rete|m rete|moro em|moro no|moro na|sou de|venho de))\s+"
    r"((?:[A-ZÀ-Ý][\w'’-]+)(?:\s+[A-ZÀ-Ý][\w'’-]+){0,2})"
)


def redact(text: str) -> str:
    """Remove what could identify a person: e-mails, phone numbers, digit runs, names, places."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[number]", text)
    text = _DIGITS.sub("[number]", text)
    text = _NAME.sub(lambda m: f"{m.group(1)} [name]", text)
    text = _INTRO.sub(lambda m: f"{m.group(1)} [name]", text)
    return _PLACE.sub(lambda m: f"{m.group(1)} [place]", text)


def pseudonym(key: str) -> str:
    """A short tag of a session key: enough to find one user's records, nothing about them."""
    return "u" + key[:15]


class UnansweredLog:
    """Records unanswered questions in the session store and enforces their retention."""

    def __init__(self, store: Store, retention_days: int = 90, clock: Clock = system_clock) -> None:
        self.store = store
        self.clock = clock
        self.retention = retention_days * DAY
        self._pruned = 0.0

    async def add(self, item: Unanswered, who: str = "", at: float | None = None) -> None:
        """Keep one question, redacted; older records past retention are deleted on the way.

        `who` is the user's pseudonym, so that forgetting them deletes their questions too.
        """
        now = self.clock() if at is None else at
        record = asdict(item)
        record["text"] = redact(item.text)
        if who:
            record["who"] = who
        await self.store.append(LOG, json.dumps(record, ensure_ascii=False), now)
        if now - self._pruned > PRUNE_EVERY:  # retention is in days: sweeping hourly is enough
            await self.store.prune(LOG, now - self.retention)
            self._pruned = now

    async def since(self, days: float | None = None) -> list[tuple[float, dict[str, object]]]:
        """The records of the last `days` days (all kept ones by default), oldest first."""
        now = self.clock()
        await self.store.prune(LOG, now - self.retention)
        start = now - days * DAY if days else 0.0
        return [(at, json.loads(data)) for at, data in await self.store.records(LOG, start)]
