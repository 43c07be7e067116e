"""The conversation core: an inbound message and a session in, replies and a new session out.

Answering comes first: a first message that is a question is answered at once, and the choice
of language and country is offered alongside, never demanded before an answer. Nothing here
knows about Telegram, Twilio or terminals.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.clock import Clock, system_clock
from bot.conversation import notices, payloads, subscribing
from bot.conversation.decisions import SnapshotCaches
from bot.conversation.messages import Inbound, Outcome, Reply, Unanswered
from bot.conversation.paging import Split, next_page, paginate
from bot.conversation.payloads import NO_COUNTRY, Action, Payload
from bot.conversation.person import RECENT, asks_for_person, offer, turn
from bot.conversation.replies import Composer
from bot.conversation.session import Session
from bot.conversation.unanswered import redact
from bot.library import Library, Snapshot
from bot.matching import Match, Reason
from bot.normalise import tokens

SOCIAL = (Reason.GREETING, Reason.THANKS)
MAX_TEXT = 2000  # longer messages are read up to here; the need is nearly always early


class Engine:
    """Channel-agnostic conversation logic over the library's current snapshot."""

    def __init__(
        self, library: Library, clock: Clock = system_clock, handover: bool = False
    ) -> None:
        self.library = library
        self.clock = clock
        self.handover = handover  # moderators are there: offer a person
        self._caches: SnapshotCaches | None = None

    def caches(self) -> SnapshotCaches:
        """The caches of the snapshot being served; a reload drops the old ones whole."""
        snapshot, caches = self.library.current, self._caches
        if caches is None or caches.snapshot is not snapshot:
            caches = self._caches = SnapshotCaches(snapshot)
        return caches

    def forget_texts(self) -> None:
        """Drop the texts kept in memory for speed (a user asked to be forgotten)."""
        if self._caches is not None:
            self._caches.forget_texts()

    async def handle(
        self, message: Inbound, session: Session, split: Split | None = None
    ) -> Outcome:
        """Answer one message from one snapshot, read once at the start.

        With `split` (a paging channel's), long replies are cut into pages, the rest kept
        for MORE.
        """
        snapshot = self.library.current
        outcome = _Turn(snapshot, self.caches(), self.handover).handle(message, session)
        outcome = notices.live_alerts_first(outcome, self.clock())
        return paginate(outcome, split) if split is not None else outcome


class _Turn:
    """One message's handling, bound to the snapshot it started with."""

    def __init__(self, snapshot: Snapshot, caches: SnapshotCaches, handover: bool = False) -> None:
        self.snapshot = snapshot
        self.caches = caches
        self.handover = handover

    def handle(self, message: Inbound, session: Session) -> Outcome:
        snapshot = self.snapshot
        payload = message.payload
        if payload is not None and payload.action is Action.OPT_OUT:
            # STOP (or a blocked bot) ends alert subscriptions too: nothing more is sent.
            stopped = replace(session, opted_out=True, pages=(), alerts=())
            return Outcome((), stopped, snapshot)
        if session.opted_out and self._forgets(message):
            # Someone who said STOP can still be forgotten: the one reply they asked for.
            return Outcome((Composer(snapshot, session).forgotten(),), None, snapshot)
        if session.opted_out:
            if (payload is None or payload.action is not Action.OPT_IN) and not message.resumes:
                return Outcome((), session, snapshot)  # nothing is sent until they opt in again
            session = replace(session, opted_out=False)
        if session.country is None and message.country_hint in snapshot.base.countries:
            session = replace(session, country=message.country_hint)
        hint = (message.language_hint or "").split("-")[0].lower()
        if (
            session.detected is None
            and session.language is None
            and hint in snapshot.locales.catalogs
        ):
            # Until the user writes something we can read, speak the language of their app.
            session = replace(session, detected=hint)
        compose = Composer(snapshot, session)
        if session.held:
            return self._held(message, session, compose)
        if payload is not None:
            return self._payload(payload, session, compose)
        if message.location is not None:
            return self._done(session, compose.nearby(*message.location))
        if message.unsupported or message.text is None:
            return self._done(session, compose.unsupported())
        text = message.text.strip()[:MAX_TEXT]
        if not text:
            return self._done(session, compose.empty())
        if re.fullmatch(r"\d{1,2}", text):
            picked = self._numbered(text, session)
            if picked is None:  # a number is a choice, never a question to match or log
                return self._done(session, compose.pick_a_number(len(session.menu)))
            return self._payload(picked, session, compose)
        found = self._command(text)
        if found is not None:
            command, speakers = found
            current = session.language or session.detected
            if session.language is None and current not in speakers:
                # "AYUDA" is Spanish whatever was said before: answer the command in it.
                session = replace(session, detected=speakers[0])
                compose = Composer(snapshot, session)
            return self._payload(command, session, compose)
        return self._question(text, session)

    def _question(self, text: str, session: Session) -> Outcome:
        if self.handover and asks_for_person(text, self.snapshot.locales):
            return self._person(text, session)
        decision = self.caches.decide(text, session.country, session.language)
        match = decision.match
        # Kept for "0 = this did not help"; names and numbers in it are not needed for that.
        session = replace(session, detected=match.detected, last_question=redact(text))
        replies: list[Reply] = []
        mention = match.mention
        if (
            mention is not None
            and mention.role == "presence"
            and mention.country != session.country
        ):
            # "acabo de llegar a Guatemala": that is the user's country from now on, said once.
            session = replace(session, country=mention.country)
            replies.append(Composer(self.snapshot, session).country_said())
        compose = Composer(self.snapshot, session)
        # A country's entry found with no country known is a guess: the user may be anywhere,
        # and acts on what we say. Ask first; the question waits and is answered on the pick.
        guessed = match.entry is not None and match.entry.country is not None
        guessed = guessed and match.country is None and len(self.snapshot.base.countries) > 1
        if decision.emergency:
            emergency = compose.emergency(match.country)
            if self.handover:
                emergency = offer(emergency, compose.t("Talk to a person"), "emergency")
            replies.insert(0, emergency)  # the numbers always come first
        if guessed:
            if not replies:
                replies.append(compose.ask_country())
            return self._done(replace(session, seen=True, pending=text), *replies)
        if match.entry is not None:
            replies.append(compose.answer(match.entry, match))
            session = replace(session, last_entry=match.entry.id)
        elif match.reason in SOCIAL:
            replies.append(compose.greeting(thanks=match.reason is Reason.THANKS))
        elif not replies:
            unsure = compose.not_sure(match)
            if self.handover and session.unsure >= 1:  # the second "not sure" in a row
                unsure = offer(unsure, compose.t("Talk to a person"), "unsure")
            replies.append(unsure)
        unanswered = None
        if match.entry is None and match.reason not in SOCIAL:
            unanswered = _unanswered(text, match, "abstained")
        if self.handover:
            answered = match.entry.id if match.entry is not None else None
            session = replace(
                session,
                unsure=session.unsure + 1 if answered is None and unanswered else 0,
                recent=(*session.recent, turn(redact(text), answered))[-RECENT:],
            )
        return self._done(replace(session, seen=True), *replies, unanswered=unanswered)

    # Human handover ---------------------------------------------------------------------

    def _person(self, text: str, session: Session, reason: str = "asked") -> Outcome:
        """The user asks for a person: the handover opens (conversation/handover.py)."""
        replies = []
        if text:  # answer in the language they asked in
            detected = self.snapshot.matcher.match(text, session.country, session.language).detected
            session = replace(session, detected=detected)
        if text and self.snapshot.triage.is_emergency(text):
            replies.append(Composer(self.snapshot, session).emergency(session.country))
        if text:
            session = replace(
                session, recent=(*session.recent, turn(redact(text), "person"))[-RECENT:]
            )
        outcome = self._done(replace(session, unsure=0), *replies)
        return replace(outcome, handover=reason)

    def _held(self, message: Inbound, session: Session, compose: Composer) -> Outcome:
        """A person holds the conversation: relay and stay quiet (forget-me, MORE, danger work)."""
        payload = message.payload
        text = (message.text or "").strip()[:MAX_TEXT]
        found = self._command(text) if payload is None and text else None
        action = (payload or (found[0] if found else None) or Payload(Action.MENU)).action
        if payload is not None or found is not None:
            if action is Action.FORGET:
                return Outcome((compose.forgotten(),), None, self.snapshot)
            if action is Action.MORE and session.pages:
                page, rest = next_page(session)
                return Outcome((compose.page(page or ""),), rest, self.snapshot)
        if not text:
            kind = message.unsupported or ("location" if message.location else "button")
            text = f"[{kind}]"
        replies: tuple[Reply, ...] = ()
        if self.snapshot.triage.is_emergency(text):
            replies = (compose.emergency(session.country),)
        return Outcome(replies, session, self.snapshot, relay=text)

    def _payload(self, payload: Payload, session: Session, compose: Composer) -> Outcome:
        action, value = payload.action, payload.value
        base = self.snapshot.base
        if action is Action.ENTRY and (entry := base.entry(value)) is not None:
            session = replace(session, last_entry=entry.id)
            return self._done(session, Composer(self.snapshot, session).answer(entry, None))
        if action is Action.TOPIC and value:
            return self._done(session, compose.topic(value))
        if action is Action.LANGUAGE and value in self.snapshot.locales.catalogs:
            session = replace(session, language=value)
            return self._done(session, Composer(self.snapshot, session).language_set())
        if action is Action.COUNTRY and (value in base.countries or value == NO_COUNTRY):
            session = replace(session, country=None if value == NO_COUNTRY else value)
            if session.pending is not None and session.country is not None:
                waiting, session = session.pending, replace(session, pending=None)
                said = Composer(self.snapshot, session).country_said()
                answered = self._question(waiting, session)
                return replace(answered, replies=(said, *answered.replies))
            session = replace(session, pending=None)
            return self._done(session, Composer(self.snapshot, session).country_set())
        if action is Action.OPT_IN:
            return self._done(session, compose.greeting())
        if action is Action.FORGET:
            return Outcome((compose.forgotten(),), None, self.snapshot)
        if action is Action.MORE:
            page, rest = next_page(session)
            if page is not None:
                return self._done(rest, compose.page(page))
            return self._done(session, compose.nothing_more())
        if action is Action.FEEDBACK:
            return self._feedback(value == "yes", session, compose)
        if action is Action.HANDOVER and self.handover:
            return self._person("", session, value or "asked")
        if action is Action.MENU and self.handover:
            return self._done(session, offer(compose.menu(), compose.t("Talk to a person"), "menu"))
        if action in (Action.ALERTS, Action.NO_ALERTS):
            return self._done(*subscribing.choose(payload, session, compose))
        simple = {
            Action.MENU: compose.menu,
            Action.HELP: compose.help,
            Action.LANGUAGE: compose.languages,
            Action.COUNTRY: compose.countries,
        }
        return self._done(session, simple.get(action, compose.menu)())

    def _feedback(self, helpful: bool, session: Session, compose: Composer) -> Outcome:
        if helpful or session.last_question is None:
            session = replace(session, last_question=None)
            return self._done(session, compose.thanks_for_feedback())
        match = self.caches.decide(session.last_question, session.country, session.language).match
        record = _unanswered(session.last_question, match, "not helpful")
        session = replace(session, last_question=None)
        return self._done(session, compose.sorry(match), unanswered=record)

    def _done(
        self, session: Session, *replies: Reply, unanswered: Unanswered | None = None
    ) -> Outcome:
        numbered = next((r.choices for r in reversed(replies) if r.choices), None)
        # A list shown stays valid until a newer list replaces it (a MORE page shows none).
        menu = session.menu if numbered is None else tuple(c.payload.encode() for c in numbered)
        return Outcome(
            tuple(replies), replace(session, menu=menu, seen=True), self.snapshot, unanswered
        )

    def _forgets(self, message: Inbound) -> bool:
        if message.payload is not None:
            return message.payload.action is Action.FORGET
        found = self._command(message.text or "")
        return found is not None and found[0].action is Action.FORGET

    @staticmethod
    def _numbered(text: str, session: Session) -> Payload | None:
        """The choice a number picks from the list shown, if it picks one."""
        number = int(text)
        if number == 0:
            return payloads.feedback(False)
        if 1 <= number <= len(session.menu):
            return Payload.parse(session.menu[number - 1])
        return None

    def _command(self, text: str) -> tuple[Payload, tuple[str, ...]] | None:
        """The command a whole message names, and the languages that say it that way."""
        words = tuple(tokens(text))
        if not words or len(words) > 4:
            return None
        found = self.caches.commands.get(words)
        if found is None:
            return None
        name, speakers = found
        payload = Payload.parse(name)
        return (payload, speakers) if payload else None


def _unanswered(text: str, match: Match, reason: str) -> Unanswered:
    candidates = tuple(c.entry.id for c in match.candidates)
    return Unanswered(text, match.detected, match.country, candidates, reason)
