"""The conversation core: an inbound message and a session in, replies and a new session out.

Answering comes first: a first message that is a question is answered at once, and the choice
of language and country is offered alongside, never demanded before an answer. Nothing here
knows about Telegram, Twilio or terminals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversation.messages import Inbound, Reply, Unanswered
from bot.conversation.replies import Composer
from bot.conversation.session import Session
from bot.library import Library, Snapshot
from bot.matching import Match
from bot.normalise import tokens

SOCIAL = ("greeting", "thanks")
MAX_TEXT = 2000  # longer messages are read up to here; the need is nearly always early
ALONE_WORDS = 4  # "help me" alone is a cry for help; "help me find a school" is a question


@dataclass(frozen=True)
class Outcome:
    """What handling one message produced."""

    replies: tuple[Reply, ...]
    session: Session | None  # None: the user asked to be forgotten
    unanswered: Unanswered | None = None


class Engine:
    """Channel-agnostic conversation logic over the library's current snapshot."""

    def __init__(self, library: Library) -> None:
        self.library = library

    async def handle(self, message: Inbound, session: Session) -> Outcome:
        """Answer one message; pure apart from reading the current snapshot."""
        snapshot = self.library.current
        if message.payload == "optout":
            return Outcome((), session.update(opted_out=True, pages=()))
        if session.opted_out:
            if message.payload != "optin" and not message.resumes:
                return Outcome((), session)  # nothing is sent until they opt in again
            session = session.update(opted_out=False)
        if session.country is None and message.country_hint in snapshot.base.countries:
            session = session.update(country=message.country_hint)
        hint = (message.language_hint or "").split("-")[0].lower()
        if (
            session.detected is None
            and session.language is None
            and hint in snapshot.locales.catalogs
        ):
            # Until the user writes something we can read, speak the language of their app.
            session = session.update(detected=hint)
        compose = Composer(snapshot, session)
        if message.payload:
            return self._payload(message.payload, session, compose)
        if message.location is not None:
            return self._done(session, compose.nearby(*message.location))
        if message.unsupported or message.text is None:
            return self._done(session, compose.unsupported())
        text = message.text.strip()[:MAX_TEXT]
        if not text:
            return self._done(session, compose.empty())
        picked = self._numbered(text, session)
        if picked is not None:
            return self._payload(picked, session, compose)
        found = self._command(text, snapshot)
        if found is not None:
            command, speakers = found
            current = session.language or session.detected
            if session.language is None and current not in speakers:
                # "AYUDA" is Spanish whatever was said before: answer the command in it.
                session = session.update(detected=speakers[0])
                compose = Composer(snapshot, session)
            return self._payload(command, session, compose)
        return self._question(text, session, compose)

    def _question(self, text: str, session: Session, compose: Composer) -> Outcome:
        snapshot = compose.snapshot
        match = snapshot.matcher.match(text, session.country, session.language)
        session = session.update(detected=match.detected, last_question=text)
        compose = Composer(snapshot, session)
        replies: list[Reply] = []
        words = tokens(text)
        if self._emergency(words, snapshot):
            replies.append(compose.emergency(match.country))
        if match.entry is not None:
            replies.append(compose.answer(match.entry, match))
            session = session.update(last_entry=match.entry.id)
        elif match.reason in SOCIAL:
            replies.append(compose.greeting(thanks=match.reason == "thanks"))
        elif not replies:
            replies.append(compose.not_sure(match))
        unanswered = None
        if match.entry is None and match.reason not in SOCIAL:
            unanswered = Unanswered(
                text,
                match.detected,
                match.country,
                tuple(c.entry.id for c in match.candidates),
                "abstained",
            )
        return self._done(session.update(seen=True), *replies, unanswered=unanswered)

    def _payload(self, payload: str, session: Session, compose: Composer) -> Outcome:
        kind, _, value = payload.partition(":")
        base = compose.snapshot.base
        if kind == "entry" and (entry := base.entry(value)) is not None:
            session = session.update(last_entry=entry.id)
            return self._done(session, Composer(compose.snapshot, session).answer(entry, None))
        if kind == "topic" and value:
            return self._done(session, compose.topic(value))
        if kind == "lang" and value in compose.snapshot.locales.catalogs:
            session = session.update(language=value)
            return self._done(session, Composer(compose.snapshot, session).language_set())
        if kind == "country" and (value in base.countries or value == "none"):
            session = session.update(country=None if value == "none" else value)
            return self._done(session, Composer(compose.snapshot, session).country_set())
        if kind == "optin":
            return self._done(session, compose.greeting())
        if kind == "forget":
            return Outcome((compose.forgotten(),), None)
        if kind == "more":
            if session.pages:
                return self._done(
                    session.update(pages=session.pages[1:]), compose.page(session.pages[0])
                )
            return self._done(session, compose.nothing_more())
        if kind == "feedback":
            return self._feedback(value == "yes", session, compose)
        simple = {
            "menu": compose.menu,
            "help": compose.help,
            "language": compose.languages,
            "country": compose.countries,
        }
        if kind in simple:
            return self._done(session, simple[kind]())
        return self._done(session, compose.menu())

    def _feedback(self, helpful: bool, session: Session, compose: Composer) -> Outcome:
        if helpful or session.last_question is None:
            return self._done(session.update(last_question=None), compose.thanks_for_feedback())
        snapshot = compose.snapshot
        match: Match = snapshot.matcher.match(
            session.last_question, session.country, session.language
        )
        record = Unanswered(
            session.last_question,
            match.detected,
            match.country,
            tuple(c.entry.id for c in match.candidates),
            "not helpful",
        )
        session = session.update(last_question=None)
        return self._done(session, compose.sorry(match), unanswered=record)

    def _done(
        self, session: Session, *replies: Reply, unanswered: Unanswered | None = None
    ) -> Outcome:
        numbered = next((r.choices for r in reversed(replies) if r.choices), ())
        session = session.update(menu=tuple(c.payload for c in numbered), seen=True)
        return Outcome(tuple(replies), session, unanswered)

    @staticmethod
    def _numbered(text: str, session: Session) -> str | None:
        if not re.fullmatch(r"\d{1,2}", text):
            return None
        number = int(text)
        if number == 0:
            return "feedback:no"
        if 1 <= number <= len(session.menu):
            return session.menu[number - 1]
        return None

    @staticmethod
    def _command(text: str, snapshot: Snapshot) -> tuple[str, tuple[str, ...]] | None:
        """The command a whole message names, and the languages that say it that way."""
        words = tuple(tokens(text))
        if not words or len(words) > 4:
            return None
        found: str | None = None
        speakers: list[str] = []
        for code, language in snapshot.locales.languages.items():
            for name, phrases in language.commands.items():
                if words in phrases and found in (None, name):
                    found = name
                    speakers.append(code)
        return (found, tuple(speakers)) if found else None

    @staticmethod
    def _emergency(words: list[str], snapshot: Snapshot) -> bool:
        short = len(words) <= ALONE_WORDS
        present = set(words)
        for language in snapshot.locales.languages.values():
            phrases = language.emergency | language.emergency_alone if short else language.emergency
            for phrase in phrases:
                if phrase[0] not in present:
                    continue
                size = len(phrase)
                if any(tuple(words[i : i + size]) == phrase for i in range(len(words) - size + 1)):
                    return True
        return False
