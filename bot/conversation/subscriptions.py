"""The store's subscription records, kept in step with what each session says it chose.

A session holds no address; a broadcast needs one. So the record (one per user and country)
keeps the channel, the address (phone number or Telegram chat id), the language and the topics,
and it is deleted the moment the session no longer subscribes: STOP ALERTS, STOP, a blocked
bot, forget-me.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.conversation.messages import Inbound, Outcome
from bot.conversation.replies import Composer
from bot.conversation.session import Session
from bot.library import Snapshot
from bot.storage import Store


@dataclass(frozen=True)
class Subscriber:
    """One user subscribed to one country's alerts."""

    key: str  # the session key
    country: str
    channel: str  # "telegram", "sms" or "whatsapp"
    address: str  # a chat id or phone number: kept only here
    lang: str
    topics: tuple[str, ...]  # empty: every alert of the country

    @classmethod
    def parse(cls, key: str, country: str, data: str) -> Subscriber:
        """Read a stored record."""
        fields = json.loads(data)
        return cls(
            key,
            country,
            str(fields["channel"]),
            str(fields["address"]),
            str(fields["lang"]),
            tuple(fields.get("topics") or ()),
        )


def records(message: Inbound, session: Session, snapshot: Snapshot) -> dict[str, str]:
    """The stored record per country that `session` subscribes to."""
    if not session.alerts or session.opted_out:
        return {}
    every: set[str] = set()
    some: dict[str, set[str]] = {}
    for scope in session.alerts:
        country, _, topic = scope.partition(":")
        if topic:
            some.setdefault(country, set()).add(topic)
        else:
            every.add(country)
    lang = Composer(snapshot, session).lang
    return {
        country: json.dumps(
            {
                "channel": message.channel,
                "address": message.user,
                "lang": lang,
                "topics": [] if country in every else sorted(some[country]),
            },
            sort_keys=True,
        )
        for country in sorted(every | some.keys())
    }


class Subscriptions:
    """Writes and deletes subscription records as sessions change."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def update(self, message: Inbound, key: str, before: Session, outcome: Outcome) -> None:
        """Bring the user's records in line with the session after this message."""
        if outcome.session is None:  # forget me
            await self.store.unsubscribe(key)
            return
        old = records(message, before, outcome.snapshot)
        new = records(message, outcome.session, outcome.snapshot)
        if old == new:
            return
        for country in old.keys() - new.keys():
            await self.store.unsubscribe(key, country)
        for country, data in new.items():
            if old.get(country) != data:
                await self.store.subscribe(key, country, data)

    async def of(self, country: str) -> list[Subscriber]:
        """Everyone subscribed to `country`."""
        found = await self.store.subscribers(country)
        return [Subscriber.parse(key, country, data) for key, data in found]
