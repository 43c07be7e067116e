"""Alerts to their subscribers, durably and at a bounded rate, each recipient once.

When an alert is live, its subscribers are fanned out into a send queue in the store's Inbox
(one queue per channel, one item per alert and recipient: a second fan-out, by this process
or another, adds nothing). Each channel's worker claims only as many items as its rate can send
within a few seconds, far inside the lease, so an item is never held by one process while its
lease runs out and another takes it. An item is completed only after its message was sent (or
can never be); on SIGTERM the workers stop claiming, let the sends under way finish, and give
the items not yet sent back at once. A kill -9 can repeat only the sends that were under way.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter

from bot.channels.alert_send import AlertSender, Job, Result
from bot.clock import Clock, system_clock
from bot.content.model import REGION, Alert
from bot.conversation.subscriptions import Subscriber, Subscriptions
from bot.library import Library
from bot.storage import Store
from bot.storage.contract import Claimed

log = logging.getLogger(__name__)
CHANNELS = ("telegram", "sms", "whatsapp")
EVENTS = "alerts:events"  # one record per queued batch, send, failure, hold, delivery
LEASE = 120.0
HORIZON = 2.0  # seconds of sending a worker claims ahead
MAX_CONCURRENT = 64
MAX_ATTEMPTS = 10
FAN_OUT_EVERY = 1.0  # how often to look for an alert that has started (cheap once fanned)
IDLE_POLL = 1.0


def queue(channel: str) -> str:
    """The send queue of one channel."""
    return f"alerts:{channel}"


def _fanned(alert: Alert) -> str:
    return f"alerts:fanned:{alert.id}"


class Broadcaster:
    """Fans live alerts out to their subscribers and works through the send queues."""

    def __init__(
        self,
        library: Library,
        store: Store,
        sender: AlertSender,
        registry: CollectorRegistry | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.library = library
        self.store = store
        self.sender = sender
        self.subscriptions = Subscriptions(store)
        self.clock = clock
        self.messages = Counter(
            "puente_alert_messages",
            "Alert messages by channel and state (queued, sent, failed, held, expired)",
            ["channel", "state"],
            registry=registry,
        )
        self._stopping = False
        self._stopped = asyncio.Event()
        self._wakes = {c: asyncio.Event() for c in CHANNELS}
        self._tasks: list[asyncio.Task[None]] = []
        self._busy: dict[str, set[asyncio.Task[None]]] = {c: set() for c in CHANNELS}

    # Fan-out ------------------------------------------------------------------------------

    async def fan_out(self) -> int:
        """Queue every live alert not yet fanned out for its subscribers; return how many."""
        added = 0
        snapshot = self.library.current
        now = self.clock()
        for alert in snapshot.base.alerts:
            if not alert.live(now) or await self.store.recall(_fanned(alert)) is not None:
                continue
            countries = snapshot.base.countries if REGION in alert.countries else alert.countries
            counts = dict.fromkeys(CHANNELS, 0)
            for country in sorted(countries):
                for subscriber in await self.subscriptions.of(country):
                    if _wants(subscriber, alert) and await self._enqueue(alert, subscriber):
                        counts[subscriber.channel] = counts.get(subscriber.channel, 0) + 1
            for channel, count in counts.items():
                if count:
                    self.messages.labels(channel, "queued").inc(count)
                    await self._event(alert.id, "queued", channel, n=count)
                    added += count
            # Only now: a fan-out cut short by a crash is simply done again (nothing doubles).
            ttl = max(60, int(alert.expires.timestamp() - now) + 86_400)
            await self.store.remember(_fanned(alert), "1", ttl=ttl)
            log.info("alert %s queued for %d recipient(s)", alert.id, sum(counts.values()))
        if added:
            self._wake_all()
        return added

    async def _enqueue(self, alert: Alert, subscriber: Subscriber) -> bool:
        job = {
            "alert": alert.id,
            "key": subscriber.key,
            "country": subscriber.country,
            "channel": subscriber.channel,
            "address": subscriber.address,
            "lang": subscriber.lang,
        }
        item = f"{alert.id}:{subscriber.key}"
        return await self.store.enqueue(
            queue(subscriber.channel), item, subscriber.key, json.dumps(job)
        )

    # Sending ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Fan out and send in the background, on every channel this process can send on."""
        self._tasks.append(asyncio.create_task(self._fan_out_loop()))
        for channel in CHANNELS:
            if self.sender.serves(channel):
                self._tasks.append(asyncio.create_task(self._work(channel)))

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming; let sends under way finish; give back what was not sent."""
        self._stopping = True
        self._stopped.set()
        self._wake_all()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        busy = [t for tasks in self._busy.values() for t in tasks]
        if busy:
            await asyncio.wait(busy, timeout=grace)
        for task in busy:  # still waiting after the grace: its lease brings it back later
            task.cancel()
        await self.sender.close()

    async def idle(self) -> bool:
        """Nothing waiting in any send queue and nothing in hand."""
        if any(self._busy.values()):
            return False
        for channel in CHANNELS:
            if await self.store.pending(queue(channel)):
                return False
        return True

    async def _fan_out_loop(self) -> None:
        while not self._stopping:
            try:
                await self.fan_out()
            except Exception:  # the store is down: try again later, never die
                log.exception("cannot fan out alerts; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), FAN_OUT_EVERY)

    async def _work(self, channel: str) -> None:
        busy, wake = self._busy[channel], self._wakes[channel]
        # Claim no more than the rate sends in HORIZON seconds: claimed items never wait long.
        window = max(1, min(MAX_CONCURRENT, math.ceil(self.sender.rates[channel] * HORIZON)))
        batch = max(1, window // 4)  # a claim reads the queue: claim in batches, not one by one
        while not self._stopping:
            room = window - len(busy)
            claimed: list[Claimed] = []
            if room >= batch:
                try:
                    claimed = await self.store.claim(queue(channel), room, LEASE)
                except Exception:
                    log.exception("cannot read the %s alert queue; retrying", channel)
            for item in claimed:
                task = asyncio.create_task(self._deliver(channel, item))
                busy.add(task)
                task.add_done_callback(self._done(busy, wake))
            if not claimed or room - len(claimed) < batch:
                wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), IDLE_POLL)

    def _wake_all(self) -> None:
        for wake in self._wakes.values():
            wake.set()

    @staticmethod
    def _done(
        busy: set[asyncio.Task[None]], wake: asyncio.Event
    ) -> Callable[[asyncio.Task[None]], None]:
        def finished(task: asyncio.Task[None]) -> None:
            busy.discard(task)
            wake.set()  # room for more, and this recipient's next alert may now go

        return finished

    async def _deliver(self, channel: str, item: Claimed) -> None:
        name = queue(channel)
        try:
            job = Job(**json.loads(item.data))
        except (ValueError, TypeError):
            log.error("dropped an unreadable alert queue item %s", item.id)
            await self.store.complete(name, item.id)
            return
        snapshot = self.library.current
        alert = next((a for a in snapshot.base.alerts if a.id == job.alert), None)
        if alert is None or not alert.live(self.clock()):
            # Expired, or withdrawn by its editor: an alert that is no longer true is not sent.
            await self._finish(name, item, job, Result("expired", "expired or withdrawn"))
            return
        if not await self.store.subscribed(job.key, job.country):
            await self._finish(name, item, job, Result("expired", "unsubscribed meanwhile"))
            return
        try:
            result = await self.sender.send(job, alert, snapshot.locales, self._going)
        except Exception as exc:  # an unexpected failure: retry, never lose the item
            log.exception("alert %s to a %s subscriber failed", job.alert, channel)
            result = Result("retry", type(exc).__name__, 10.0)
        if result.state == "back":
            await self.store.retry(name, item.id, 0.0)  # not sent: the next process sends it
            return
        if result.state == "retry" and item.attempts < MAX_ATTEMPTS:
            await self.store.retry(name, item.id, result.delay or min(300.0, 2.0**item.attempts))
            return
        if result.state == "retry":
            result = Result("failed", f"gave up after {item.attempts} attempts: {result.reason}")
        await self._finish(name, item, job, result)

    def _going(self) -> bool:
        return not self._stopping

    async def _finish(self, name: str, item: Claimed, job: Job, result: Result) -> None:
        if result.unsubscribe:
            await self.store.unsubscribe(job.key)
        await self.store.complete(name, item.id)
        self.messages.labels(job.channel, result.state).inc()
        await self._event(job.alert, result.state, job.channel, reason=result.reason)

    async def _event(self, alert: str, state: str, channel: str, **extra: object) -> None:
        record = {"alert": alert, "state": state, "channel": channel, **extra}
        await self.store.append(EVENTS, json.dumps(record, sort_keys=True))


def _wants(subscriber: Subscriber, alert: Alert) -> bool:
    """A topic subscriber gets the alerts of that topic, and those that concern everyone."""
    return not subscriber.topics or not alert.topics or bool(alert.topics & set(subscriber.topics))
