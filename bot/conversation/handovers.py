"""Human handover, the service: open, relay both ways, hold, close, remind and time out.

`Conversations` calls `after` with every outcome (inside the user's lock) and `forget` before
a user is forgotten; the Telegram desk calls `from_moderator` and `close` for what moderators
write; the web service runs `sweep` every minute. Every change to one user's handover is made
under that user's lock in the shared store, so any process can take any step.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import replace

from prometheus_client import CollectorRegistry, Counter, Histogram

from bot.clock import Clock, system_clock
from bot.conversation.handover import (
    EVENTS,
    Case,
    Desk,
    HandoverState,
    Relay,
    RelayError,
    Sealer,
    States,
)
from bot.conversation.messages import Inbound, Outcome, Reply
from bot.conversation.paging import Split
from bot.conversation.replies import Composer
from bot.conversation.session import Session
from bot.conversation.unanswered import pseudonym
from bot.hours import Hours, Rule
from bot.library import Library
from bot.storage import Store

log = logging.getLogger(__name__)
INVITE = "handover-invite:"  # + alias: a moderator asked to talk to this user
ALIAS = re.compile(r"u[0-9a-f]{15}")
DAY = 86_400.0
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _(message: str) -> str:
    return message


ASKED = _(
    "I have asked a person from our team to join. They will write to you here; until then "
    "I will not answer. Write FORGET ME to delete everything about you."
)
JOINED = _("A person from our team has joined the conversation:")
CLOSED = _(
    "The person from our team has ended the conversation. I will answer your questions again."
)
IDLE = _(
    "Nobody has written for a day, so I will answer your questions again. "
    "Ask for a person any time."
)
AWAY = _(
    "People from our team answer {hours} ({zone} time). Ask for a person again then; "
    "until then I can answer your questions."
)
UNREACHABLE = _("Sorry, I cannot reach a person right now. Please try again later.")


class HandoverMetrics:
    """Counters for /metrics, in the conversations' registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.opened = Counter(
            "puente_handovers_opened", "Handovers opened", ["channel"], registry=registry
        )
        self.answered = Counter(
            "puente_handovers_answered", "Handovers a moderator answered", registry=registry
        )
        self.closed = Counter(
            "puente_handovers_closed",
            "Handovers closed, by outcome (closed, idle, forgotten, stopped)",
            ["outcome"],
            registry=registry,
        )
        self.first_reply = Histogram(
            "puente_handover_first_reply_seconds",
            "Time from a handover opening to the first moderator reply",
            registry=registry,
            buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400),
        )


class Handovers:
    """Everything that happens while a person, not the bot, answers a user."""

    def __init__(
        self,
        store: Store,
        library: Library,
        desk: Desk,
        relays: Mapping[str, Relay],
        secret: str,
        registry: CollectorRegistry,
        hours: Hours,
        remind_after: float = 3600.0,
        idle_after: float = DAY,
        retention_days: int = 90,
        clock: Clock = system_clock,
    ) -> None:
        self.store, self.library, self.desk, self.relays = store, library, desk, relays
        self.states = States(store)
        self.sealer = Sealer(secret)
        self.metrics = HandoverMetrics(registry)
        self.hours = hours
        self.remind_after, self.idle_after = remind_after, idle_after
        self.retention = retention_days * DAY
        self.clock = clock

    # Called by Conversations, under the user's lock ------------------------------------

    async def after(
        self, key: str, message: Inbound, outcome: Outcome, split: Split | None
    ) -> Outcome:
        """The outcome with the handover's part done: opened, relayed, or closed on STOP."""
        session = outcome.session
        if session is None:
            return outcome
        if session.held:
            state = await self.states.load(key)
            if state is None:  # closed meanwhile by a step that could not reach this session
                return replace(outcome, session=replace(session, held=False))
            if session.opted_out:
                await self._end(
                    key, state, "stopped", "The user wrote STOP: they get nothing more."
                )
                return replace(outcome, session=replace(session, held=False, pages=()))
            if outcome.relay is not None:
                await self.desk.post(state.thread, f"{state.alias}: {outcome.relay}")
                await self.states.save(key, state.touched(self.clock()))
            return outcome
        reason = outcome.handover
        if reason is None:
            if session.opted_out or not await self._invited(key):
                return outcome
            reason = "moderator"  # a moderator asked, from the unanswered report's alias
        reply, session = await self._open(key, message, session, reason)
        return _with_reply(replace(outcome, session=session), reply, split)

    async def forget(self, key: str) -> None:
        """The user asked to be forgotten: close the thread and delete the relay state."""
        await self.store.delete(INVITE + pseudonym(key))
        state = await self.states.load(key)
        if state is not None:
            note = "The user asked to be forgotten: Puente deleted all it kept about them."
            await self._end(key, state, "forgotten", note)

    async def _open(
        self, key: str, message: Inbound, session: Session, reason: str
    ) -> tuple[Reply, Session]:
        snapshot = self.library.current
        compose = Composer(snapshot, session)
        now = self.clock()
        country = snapshot.base.countries.get(session.country or "")
        zone = country.timezone if country else "UTC"
        if not self.hours.open_at(session.country, zone, now):
            rules = self.hours.for_country(session.country)
            await self._event("away", key, session, message.channel, reason)
            text = compose.t(AWAY, hours=_describe(rules, compose.lang), zone=zone)
            return compose.reply(text), session
        relay = self.relays.get(message.channel)
        if relay is None:
            return compose.reply(compose.t(UNREACHABLE)), session
        alias = pseudonym(key)  # the unanswered report's alias, so moderators can match them
        case = Case(alias, session.country, compose.lang, message.channel, reason, session.recent)
        try:
            thread = await self.desk.open(case)
        except Exception:  # the desk is down: say so now rather than leave them waiting
            log.exception("cannot open a handover thread")
            return compose.reply(compose.t(UNREACHABLE)), session
        state = HandoverState(
            alias=alias,
            thread=thread,
            channel=message.channel,
            address=self.sealer.seal(message.user),
            language=compose.lang,
            country=session.country,
            reason=reason,
            opened=now,
            last=now,
        )
        await self.states.save(key, state)
        await self.states.opened(key)
        self.metrics.opened.labels(message.channel).inc()
        await self._event("opened", key, session, message.channel, reason)
        # The turns are in the thread now: the session need not keep them.
        return compose.reply(compose.t(ASKED)), replace(session, held=True, recent=(), unsure=0)

    async def _invited(self, key: str) -> bool:
        # One read per message while handover is on: the price of letting a moderator reach
        # out to a user known only by alias, without keeping any address for them.
        name = INVITE + pseudonym(key)
        if await self.store.load(name) is None:
            return False
        await self.store.delete(name)
        return True

    # Called by the desk, for moderators ------------------------------------------------

    async def invite(self, alias: str, moderator: str) -> str:
        """Open a conversation with `alias` (the unanswered report's) when they next write."""
        if not ALIAS.fullmatch(alias):
            return "Give the alias from the unanswered report: /open u1a2b3c4d5e6f7a8"
        record = json.dumps({"by": moderator, "at": self.clock()})
        await self.store.save(INVITE + alias, record)
        return (
            f"{moderator} asked for {alias}: when they next write, their conversation opens "
            f"here. Puente cannot write to them first; it keeps no address for them."
        )

    async def from_moderator(self, thread: str, moderator: str, text: str) -> str | None:
        """Relay a moderator's reply; return a note for the thread, if there is one."""
        key = await self.states.user_of(thread)
        if key is None:
            return "This conversation is closed: nobody can be reached from this topic."
        async with self.store.lock(key):
            state = await self.states.load(key)
            if state is None or state.thread != thread:
                return "This conversation is closed: nobody can be reached from this topic."
            if state.holder is not None and state.holder != moderator:
                return f"{state.holder} holds this conversation; your message was not sent."
            now = self.clock()
            first = state.holder is None
            stored = await self.store.load(key)
            session = Session.from_json(stored) if stored is not None else Session()
            compose = Composer(self.library.current, session)
            body = f"{compose.t(JOINED)}\n{text}" if first else text
            try:
                pages = await self._send(state, compose.reply(body))
            except RelayError as exc:
                return f"Not delivered: {exc}. Try again in a moment."
            if first:
                state = replace(state, holder=moderator, answered=now)
                self.metrics.answered.inc()
                self.metrics.first_reply.observe(now - state.opened)
                await self._event("answered", key, session, state.channel, state.reason, state)
            await self.states.save(key, state.touched(now))
            await self.store.save(key, replace(session, pages=pages).to_json())
        return f"{moderator} now holds this conversation." if first else None

    async def close(self, thread: str, moderator: str) -> str | None:
        """/close: the conversation goes back to the bot; return a note if it was not open."""
        key = await self.states.user_of(thread)
        if key is None:
            return "This conversation is already closed."
        async with self.store.lock(key):
            state = await self.states.load(key)
            if state is None:
                return "This conversation is already closed."
            await self._back_to_bot(key, state, CLOSED)
            await self._end(key, state, "closed", f"Closed by {moderator}. The bot answers again.")
        return None

    # Called every minute by the web service ----------------------------------------------

    async def sweep(self) -> None:
        """Remind the group of conversations waiting too long; give idle ones back to the bot."""
        now = self.clock()
        for key in await self.states.open_keys():
            async with self.store.lock(key):
                state = await self.states.load(key)
                if state is None:
                    await self.states.delete(key, None)
                    continue
                if now - state.last >= self.idle_after:
                    await self._back_to_bot(key, state, IDLE)
                    await self._end(key, state, "idle", "Idle for too long: the bot answers again.")
                    continue
                waited = now - state.opened
                if state.answered is None and waited >= self.remind_after:
                    # Once per handover, whichever process sweeps first.
                    first = await self.store.remember(
                        f"handover-reminded:{key}:{state.opened}", "1"
                    )
                    if first is None:
                        minutes = int(waited // 60)
                        await self.desk.post(
                            state.thread,
                            f"Reminder: {state.alias} has waited {minutes} minutes for a reply.",
                        )

    # Shared steps ----------------------------------------------------------------------

    async def _send(self, state: HandoverState, reply: Reply) -> tuple[str, ...]:
        relay = self.relays.get(state.channel)
        address = self.sealer.open(state.address)
        if relay is None or address is None:
            raise RelayError(f"no way to reach a {state.channel} user")
        try:
            return await relay.send(address, reply, self.library.current.locales)
        except RelayError:
            raise
        except Exception as exc:
            raise RelayError(type(exc).__name__) from None

    async def _back_to_bot(self, key: str, state: HandoverState, message: str) -> None:
        stored = await self.store.load(key)
        session = Session.from_json(stored) if stored is not None else Session()
        compose = Composer(self.library.current, session)
        try:
            await self._send(state, compose.reply(compose.t(message)))
        except RelayError as exc:  # the conversation goes back to the bot all the same
            log.warning("could not tell a user their handover ended: %s", exc)
        await self.store.save(key, replace(session, held=False, pages=()).to_json())

    async def _end(self, key: str, state: HandoverState, outcome: str, note: str) -> None:
        await self.states.delete(key, state)
        self.metrics.closed.labels(outcome).inc()
        try:
            await self.desk.close(state.thread, note)
        except Exception:  # the state is gone already: nobody can be reached from the thread
            log.exception("cannot close a handover thread")
        record: dict[str, object] = {
            "event": "closed",
            "alias": state.alias,
            "country": state.country,
            "channel": state.channel,
            "reason": state.reason,
            "outcome": outcome if state.answered is not None or outcome != "idle" else "unanswered",
            "answered": state.answered is not None,
            "wait": (state.answered - state.opened) if state.answered is not None else None,
        }
        await self._append(record)

    async def _event(
        self,
        event: str,
        key: str,
        session: Session,
        channel: str,
        reason: str,
        state: HandoverState | None = None,
    ) -> None:
        record: dict[str, object] = {
            "event": event,
            "alias": pseudonym(key),
            "country": session.country,
            "channel": channel,
            "reason": reason,
        }
        if state is not None and state.answered is not None:
            record["wait"] = state.answered - state.opened
        await self._append(record)

    async def _append(self, record: dict[str, object]) -> None:
        now = self.clock()
        await self.store.append(EVENTS, json.dumps(record), now)
        await self.store.prune(EVENTS, now - self.retention)


def _with_reply(outcome: Outcome, reply: Reply, split: Split | None) -> Outcome:
    """The outcome with one more reply, paged for a paging channel."""
    parts = outcome.parts
    if split is not None:
        parts = (*parts, split(reply, outcome.snapshot.locales)[0])
    return replace(outcome, replies=(*outcome.replies, reply), parts=parts)


def _describe(rules: tuple[Rule, ...], lang: str) -> str:
    """Opening hours as the user reads them: day names in their language where Babel has them."""
    from babel import Locale, UnknownLocaleError

    try:
        names = Locale.parse(lang).days["format"]["abbreviated"]
    except (ValueError, UnknownLocaleError):
        names = Locale.parse("en").days["format"]["abbreviated"]
    text = "; ".join(rule.describe() for rule in rules)
    for number, day in enumerate(_DAY_NAMES):
        text = text.replace(day, str(names[number]))
    return text
