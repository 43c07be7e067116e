"""Human handover, the contracts: where moderators work (`Desk`), how replies reach users
(`Relay`), and the relay state kept while a person holds a conversation.

The engine never sees any of this. A Telegram forum group is the one `Desk` built today
(channels/telegram_desk.py); a helpdesk such as Chatwoot would be a second one, with the same
four methods and nothing else to change.

The relay state is the only place a user's address (phone number or Telegram chat id) is kept,
sealed with a key derived from SESSION_SECRET, and only while the handover is open: it is
deleted when the conversation is closed, left idle, or the user asks to be forgotten.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

from cryptography.fernet import Fernet, InvalidToken

from bot.content.locales import Locales
from bot.conversation.messages import Reply
from bot.storage import Store

STATE = "handover:"  # + session key → HandoverState
THREAD = "handover-thread:"  # + desk thread → session key
OPEN = "handover:open"  # the session keys of open handovers, for reminders and idle closing
EVENTS = "handovers"  # the log the report reads: events, never what anyone wrote


@dataclass(frozen=True)
class Case:
    """What a moderator sees when a conversation is handed over: nobody's number or id."""

    alias: str
    country: str | None
    language: str
    channel: str
    reason: str
    recent: tuple[str, ...]


class Desk(ABC):
    """Where moderators read and answer handed-over conversations."""

    @abstractmethod
    async def open(self, case: Case) -> str:
        """Start a thread for `case` and show it; return the thread's id."""

    @abstractmethod
    async def post(self, thread: str, text: str) -> None:
        """Write in a thread: the user's words, a reminder, a note."""

    @abstractmethod
    async def close(self, thread: str, note: str) -> None:
        """Say why the thread ends, and end it."""


class Relay(ABC):
    """How a moderator's reply reaches a user of one channel."""

    @abstractmethod
    async def send(self, address: str, reply: Reply, locales: Locales) -> tuple[str, ...]:
        """Send `reply`; return the pages kept for MORE (SMS), if any."""


class RelayError(Exception):
    """A reply could not be delivered; the message never names the user."""


@dataclass(frozen=True)
class HandoverState:
    """One open handover, as the store keeps it."""

    alias: str
    thread: str
    channel: str
    address: str  # sealed
    language: str
    country: str | None
    reason: str
    opened: float
    last: float  # the last message either way, for idle closing
    holder: str | None = None  # the first moderator to reply
    answered: float | None = None

    def to_json(self) -> str:
        """For the store."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> HandoverState:
        """From the store."""
        data = json.loads(text)
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def touched(self, at: float) -> HandoverState:
        """The state with its last message at `at`."""
        return replace(self, last=at)


class Sealer:
    """Seals addresses with a key derived from SESSION_SECRET (Fernet: AES and an HMAC)."""

    def __init__(self, secret: str) -> None:
        key = hmac.new(secret.encode(), b"puente handover relay", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, address: str) -> str:
        """The address, sealed."""
        return self._fernet.encrypt(address.encode()).decode()

    def open(self, sealed: str) -> str | None:
        """The address, or None if it was sealed with another secret."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            return None


class States:
    """The relay state in the store, through the Sessions and Locks contracts only."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def load(self, key: str) -> HandoverState | None:
        """The open handover of a user, if any."""
        data = await self.store.load(STATE + key)
        return HandoverState.from_json(data) if data is not None else None

    async def save(self, key: str, state: HandoverState) -> None:
        """Store a handover's state and the way back from its thread."""
        await self.store.save(STATE + key, state.to_json())
        await self.store.save(THREAD + state.thread, key)

    async def user_of(self, thread: str) -> str | None:
        """The session key a desk thread speaks to, while its handover is open."""
        return await self.store.load(THREAD + thread)

    async def delete(self, key: str, state: HandoverState | None) -> None:
        """Forget a handover's state, its address included."""
        await self.store.delete(STATE + key)
        if state is not None:
            await self.store.delete(THREAD + state.thread)
        await self._index(remove=(key,))

    async def opened(self, key: str) -> None:
        """Add a user to the index of open handovers."""
        await self._index(add=(key,))

    async def open_keys(self) -> list[str]:
        """The session keys of every open handover."""
        data = await self.store.load(OPEN)
        return list(json.loads(data)) if data else []

    async def _index(self, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        # Read, change and write under one lock, so two processes never lose each other's key.
        async with self.store.lock(OPEN):
            keys = [k for k in await self.open_keys() if k not in set(remove)]
            keys += [k for k in add if k not in keys]
            await self.store.save(OPEN, json.dumps(keys))
