"""A user's conversation state: small, serialisable, and free of anything that identifies them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Session:
    """Language, country, where the user is in the menus, and what is still to be sent."""

    language: str | None = None  # chosen by the user; wins over detection
    detected: str | None = None  # the language of the user's last message
    country: str | None = None
    menu: tuple[str, ...] = ()  # payloads behind the numbers of the last numbered list
    pages: tuple[str, ...] = ()  # parts of a long SMS answer not sent yet
    opted_out: bool = False
    last_entry: str | None = None
    last_question: str | None = None  # kept only until feedback on it is given
    pending: str | None = None  # a question waiting for the user to say their country
    seen: bool = False  # has been welcomed once
    # Human handover (conversation/handover.py); the relay state itself is kept apart.
    held: bool = False  # a person holds the conversation: the bot stays quiet
    unsure: int = 0  # "not sure" replies in a row
    recent: tuple[str, ...] = ()  # the last few turns, redacted, shown to the moderator
    alerts: tuple[str, ...] = ()  # subscriptions: "tt" (every alert) or "tt:health"
    alerts_seen: tuple[str, ...] = ()  # live alerts already shown to this user

    def to_json(self) -> str:
        """Serialise for a session store."""
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Session:
        """Read a stored session; unknown or missing fields fall back to defaults."""
        data = json.loads(text)
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("menu", "pages", "recent", "alerts", "alerts_seen"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)
