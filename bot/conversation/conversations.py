"""Conversations with stored sessions: one user's messages in order, redeliveries answered once.

This is where the engine meets the session store and the metrics; channels call `handle`
with a `deliver` step that renders (and, on Telegram, sends) the replies while the user's
lock is still held, so one user's answers never overtake each other. Every channel passes
the provider's id of the message as `marker`: a redelivery gets the first result again.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram

from bot.conversation.engine import Engine
from bot.conversation.messages import Inbound, Outcome, ReplyKind, Unanswered
from bot.conversation.paging import Split
from bot.conversation.session import Session
from bot.conversation.subscriptions import Subscriptions
from bot.conversation.unanswered import LOG as UNANSWERED_LOG
from bot.conversation.unanswered import pseudonym
from bot.normalise import fold
from bot.storage import Store, session_key

Deliver = Callable[[Outcome], Awaitable[str]]  # sends or renders; returns what to recall
Record = Callable[[Unanswered, str], Awaitable[None]]  # the question, its user's pseudonym


class HandoverHook(Protocol):
    """Human handover's two hook points (conversation/handovers.py `Handovers`)."""

    async def after(
        self, key: str, message: Inbound, outcome: Outcome, split: Split | None
    ) -> Outcome: ...

    async def forget(self, key: str) -> None: ...


class Metrics:
    """Prometheus counters for /metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages = Counter(
            "puente_messages", "Messages received", ["channel"], registry=self.registry
        )
        self.answers = Counter(
            "puente_answers",
            "Replies by outcome (matched, unanswered, other)",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "puente_handle_seconds",
            "Time to handle one message",
            ["channel"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self._children: dict[str, tuple[Counter, Histogram, dict[str, Counter]]] = {}

    def children(self, channel: str) -> tuple[Counter, Histogram, dict[str, Counter]]:
        """One channel's counters, looked up by label once (`labels` takes a lock each call)."""
        found = self._children.get(channel)
        if found is None:
            answers = {
                k: self.answers.labels(channel, k) for k in ("matched", "unanswered", "other")
            }
            found = self._children[channel] = (
                self.messages.labels(channel),
                self.latency.labels(channel),
                answers,
            )
        return found


class Conversations:
    """Runs the engine for one message at a time per user, with the session store."""

    def __init__(
        self,
        engine: Engine,
        store: Store,
        secret: str,
        metrics: Metrics | None = None,
        record: Record | None = None,
        subscriptions: Subscriptions | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.secret = secret
        self.metrics = metrics or Metrics()
        self.record = record
        self.handover: HandoverHook | None = None  # set by wiring when moderators are on
        self.subscriptions = subscriptions

    async def handle(
        self,
        message: Inbound,
        deliver: Deliver,
        marker: str | None = None,
        split: Split | None = None,
    ) -> str:
        """Handle `message` and return what `deliver` made of the outcome.

        With a `marker` (a provider's message id), a redelivery returns the first result
        again without handling the message twice. With `split`, long replies are paged.
        """
        started = time.perf_counter()
        key = session_key(self.secret, message.channel, message.user)
        async with self.store.lock(key):
            earlier, stored = await self.store.begin(key, marker)
            if earlier is not None:
                return earlier
            session = Session.from_json(stored) if stored is not None else Session()
            outcome = await self.engine.handle(message, session, split)
            if self.subscriptions is not None:
                # Before the confirmation goes out: "you will get alerts" must be true once read.
                await self.subscriptions.update(message, key, session, outcome)
            if self.handover is not None:
                outcome = await self.handover.after(key, message, outcome, split)
            if outcome.session is None:
                # Forget me: delete first, and only then say it is done.
                await self.forget(key)
                result = await deliver(outcome)
            else:
                result = await deliver(outcome)
                await self.store.finish(key, outcome.session.to_json(), marker, result)
        self._count(message.channel, outcome, time.perf_counter() - started)
        if outcome.unanswered is not None and self.record is not None:
            await self.record(outcome.unanswered, pseudonym(key))
        return result

    async def forget(self, key: str) -> None:
        """Everything kept about one user: session, replayable replies, logged questions."""
        if self.handover is not None:  # its thread closed, its relay state (the address) gone
            await self.handover.forget(key)
        await self.store.forget(key)
        await self.store.unsubscribe(key)  # the only record that holds their address
        await self.store.forget_records(UNANSWERED_LOG, pseudonym(key))
        fold.cache_clear()  # texts read lately, kept in memory for speed
        self.engine.forget_texts()

    def _count(self, channel: str, outcome: Outcome, seconds: float) -> None:
        if any(reply.kind is ReplyKind.ANSWER for reply in outcome.replies):
            kind = "matched"
        elif outcome.unanswered is not None:
            kind = "unanswered"
        else:
            kind = "other"
        messages, latency, answers = self.metrics.children(channel)
        messages.inc()
        latency.observe(seconds)
        answers[kind].inc()
