"""Build the replies of the conversation, in the user's language, from the current snapshot."""

from __future__ import annotations

import math
from typing import Any

from babel import Locale, UnknownLocaleError

from bot.content.model import TOPICS, Country, Entry, Service
from bot.conversation import payloads
from bot.conversation.messages import Choice, Reply, ReplyKind
from bot.conversation.services import ServiceCard, describe
from bot.conversation.session import Session
from bot.library import Snapshot
from bot.matching import Match
from bot.normalise import fold

TOPIC_LABELS = {
    "health": "Health care",
    "education": "School and classes",
    "certification": "Diplomas and skills",
    "reintegration": "Returning home",
    "emergency": "Emergencies",
    "documents": "Documents and papers",
    "work": "Work",
}
SERVICE_LABELS = {"police": "Police", "ambulance": "Ambulance", "fire": "Fire"}
NEARBY = 3


def _(message: str) -> str:
    """Mark a string for translation; it is looked up in the catalogs when used."""
    return message


# CLDR's Haitian Creole names languages in French: use each language's own name instead.
_CLDR_FALLBACK = frozenset({"ht"})


class Composer:
    """Writes replies for one user at one moment."""

    def __init__(self, snapshot: Snapshot, session: Session) -> None:
        self.snapshot = snapshot
        self.session = session
        base = snapshot.base
        country = base.countries.get(session.country or "")
        default = country.languages[0] if country else "en"
        self.lang = session.language or session.detected or default

    def t(self, message: str, **values: Any) -> str:
        """Translate an interface string and fill in its values."""
        return self.snapshot.locales.text(self.lang, message).format(**values)

    def reply(
        self,
        text: str,
        kind: ReplyKind = ReplyKind.INFO,
        *,
        title: str | None = None,
        choices: tuple[Choice, ...] = (),
        services: tuple[Service, ...] = (),
    ) -> Reply:
        """A reply in the user's language."""
        return Reply(
            text=text,
            kind=kind,
            language=self.lang,
            title=title,
            choices=choices,
            services=self.cards(services),
        )

    # Answers --------------------------------------------------------------------------

    def answer(self, entry: Entry, match: Match | None) -> Reply:
        """An entry's answer, with its warning, services, and when and where to check it."""
        matcher = self.snapshot.matcher
        lang, _notes = matcher.answer_language(entry, self.lang)
        notices = []
        if lang != self.lang:
            notices.append(
                self.t(
                    _("This answer is not written in {wanted} yet. Here it is in {used}."),
                    wanted=self._language_name(self.lang),
                    used=self._language_name(lang),
                )
            )
        if entry.country and entry.country != self.session.country:
            notices.append(
                self.t(
                    _("This answer is for {country}."), country=self._country_name(entry.country)
                )
            )
        source = entry.sources[0].url if entry.sources else ""
        footer = self.t(
            _("Checked on {date}. Confirm at {source}"),
            date=entry.reviewed.isoformat(),
            source=source,
        )
        return Reply(
            text=entry.answer[lang],
            kind=ReplyKind.ANSWER,
            language=self.lang,
            title=_pick(entry.title, lang),
            warning=_pick(entry.warning, lang) if entry.warning else None,
            notice=" ".join(notices) or None,
            services=self.cards(entry.services),
            footer=footer,
            short=entry.sms.get(lang),
            choices=(*self._local_alternatives(entry, match), *self._after_answer()),
            entry_id=entry.id,
            ask_feedback=True,
        )

    def not_sure(self, match: Match) -> Reply:
        """Say honestly that we are not sure, and suggest up to three entries."""
        if not match.candidates:
            text = self.t(
                _("I could not find an answer to that. Try other words, or pick a topic:")
            )
            return self.reply(text, ReplyKind.NOT_SURE, choices=self._topic_choices())
        choices = tuple(
            Choice(self.label(c.entry), payloads.entry(c.entry.id)) for c in match.candidates[:3]
        )
        text = self.t(_("I am not sure I understood. Did you mean one of these?"))
        return self.reply(text, ReplyKind.NOT_SURE, choices=(*choices, self._menu_choice()))

    def sorry(self, match: Match) -> Reply:
        """After 'this did not help': apologise, keep the question for editors, suggest more."""
        text = self.t(
            _(
                "Sorry it did not help. I have noted your question so that our editors "
                "can improve the answers."
            )
        )
        others = tuple(Choice(self.label(e), payloads.entry(e.id)) for e in match.alternatives)
        return self.reply(text, ReplyKind.INFO, choices=(*others, self._menu_choice()))

    def emergency(self, country_code: str | None) -> Reply:
        """Emergency numbers first, before anything else."""
        country = self.snapshot.base.countries.get(country_code or "")
        if country is None:
            # Nobody in danger should have to pick from a menu first: every country's police
            # and ambulance numbers, one short line each, then the choice of country.
            lines = [self.t(_("If you are in danger now, call (police, ambulance):"))]
            for known in sorted(self.snapshot.base.countries.values(), key=self._by_name):
                numbers = [known.emergency.get(s) for s in ("police", "ambulance")]
                shown = " · ".join(dict.fromkeys(n for n in numbers if n))
                if shown:
                    lines.append(f"{known.name(self.lang)}: {shown}")
            lines.append(self.t(_("Tell me which country you are in for all its numbers.")))
            return self.reply(
                "\n".join(lines), ReplyKind.EMERGENCY, choices=self._country_choices()
            )
        lines = [self.t(_("If you are in danger now, call:"))]
        for service, number in country.emergency.items():
            label = self.t(SERVICE_LABELS.get(service, service.replace("_", " ").capitalize()))
            lines.append(f"{label}: {number}")
        return self.reply("\n".join(lines), ReplyKind.EMERGENCY, title=country.name(self.lang))

    def nearby(self, lat: float, lon: float) -> Reply:
        """The services closest to a shared location, in the user's country."""
        places = []
        for entry in self.snapshot.base.entries:
            if self.session.country and entry.country not in (self.session.country, None):
                continue
            for service in entry.services:
                if service.lat is not None and service.lon is not None:
                    places.append((_distance(lat, lon, service.lat, service.lon), service))
        places.sort(key=lambda item: item[0])
        unique: dict[str, tuple[float, Service]] = {}
        for distance, service in places:
            unique.setdefault(service.name, (distance, service))
        closest = list(unique.values())[:NEARBY]
        if not closest and self.session.country in self.snapshot.base.countries:
            return self._country_services()
        if not closest:
            return self.reply(
                self.t(_("I do not know of services near that place yet.")),
                choices=self._topic_choices(),
            )
        lines = [self.t(_("Closest places I know of:"))]
        lines += [f"{s.name} ({d:.1f} km)" for d, s in closest]
        return self.reply("\n".join(lines), services=tuple(s for _d, s in closest))

    def _country_services(self) -> Reply:
        """A location with no coordinates to compare it to: the country's services, said so."""
        country = self.snapshot.base.countries[self.session.country or ""]
        order = {topic: rank for rank, topic in enumerate(TOPICS)}
        entries = sorted(
            (e for e in self.snapshot.base.entries if e.country == country.code),
            key=lambda e: order.get(e.topic, len(order)),
        )
        services: dict[str, Service] = {}
        for entry in entries:
            for service in entry.services:
                if service.phone:
                    services.setdefault(service.name, service)
        text = self.t(
            _("I cannot tell which places are nearest yet. Services in {country}:"),
            country=country.name(self.lang),
        )
        chosen = tuple(services.values())[: 2 * NEARBY]
        return self.reply(text, services=chosen, choices=self._topic_choices())

    # Menus ----------------------------------------------------------------------------

    def menu(self) -> Reply:
        """The topic menu."""
        return self.reply(
            self.t(_("What do you need help with?")),
            ReplyKind.MENU,
            choices=(*self._topic_choices(), *self._settings_choices()),
        )

    def topic(self, topic: str) -> Reply:
        """The entries of one topic in the user's country and the region."""
        entries = [e for e in self._in_scope() if e.topic == topic]
        title = self.t(TOPIC_LABELS.get(topic, topic))
        if self.session.country is None:
            # Without a country only what holds everywhere can be listed; ask for the rest.
            regional = tuple(Choice(self.label(e), payloads.entry(e.id)) for e in entries)
            text = self.t(_("Which country are you in?"))
            return self.reply(
                text, ReplyKind.MENU, title=title, choices=(*regional, *self._country_choices())
            )
        if not entries:
            return self.menu()
        choices = tuple(Choice(self.label(e), payloads.entry(e.id)) for e in entries)
        return self.reply(
            self.t(_("Choose a question:")),
            ReplyKind.MENU,
            title=title,
            choices=(*choices, self._menu_choice()),
        )

    def languages(self) -> Reply:
        """The language menu."""
        catalogs = self.snapshot.locales.catalogs
        choices = tuple(
            Choice(self._native_name(code), payloads.language(code)) for code in catalogs
        )
        return self.reply(self.t(_("Choose your language:")), ReplyKind.MENU, choices=choices)

    def countries(self) -> Reply:
        """The country menu, with a way to skip."""
        return self.reply(
            self.t(_("Which country are you in?")), ReplyKind.MENU, choices=self._country_choices()
        )

    def ask_country(self) -> Reply:
        """The answer depends on the country: ask for it before answering."""
        return self.reply(
            self.t(_("Which country are you in? I will answer your question for that country.")),
            ReplyKind.MENU,
            choices=self._country_choices(),
        )

    def country_said(self) -> Reply:
        """One short line: the country answers are now for, and how to change it."""
        return self.reply(
            self.t(
                _("I will answer for {country}. Write COUNTRY to change it."),
                country=self._country_name(self.session.country),
            )
        )

    def language_set(self) -> Reply:
        """Confirm the language, then show the menu."""
        text = self.t(_("I will answer in {language}."), language=self._language_name(self.lang))
        return self.reply(
            text, ReplyKind.MENU, choices=(*self._topic_choices(), *self._settings_choices())
        )

    def country_set(self) -> Reply:
        """Confirm the country, then show the menu."""
        code = self.session.country
        text = (
            self.t(_("Answers are now for {country}."), country=self._country_name(code))
            if code
            else self.t(_("Answers will not be limited to one country."))
        )
        return self.reply(
            text, ReplyKind.MENU, choices=(*self._topic_choices(), *self._settings_choices())
        )

    # Small talk and housekeeping -------------------------------------------------------

    def greeting(self, thanks: bool = False) -> Reply:
        """A friendly welcome (or a reply to thanks), never a knowledge answer."""
        if thanks:
            return self.reply(
                self.t(_("You are welcome. Ask me anything else, any time.")),
                ReplyKind.GREETING,
                choices=(self._menu_choice(),),
            )
        text = self.t(
            _(
                "Hello! I am Puente. Ask me, in your own words, about health care, "
                "school, diplomas and skills, returning home, emergencies, documents "
                "or work."
            )
        )
        return self.reply(
            text, ReplyKind.GREETING, choices=(*self._topic_choices(), *self._settings_choices())
        )

    def help(self) -> Reply:
        """How to use Puente, with the keywords of the user's language."""
        text = self.t(
            _(
                "Write your question in your own words, or reply with a number from a "
                "list. Keywords: MENU for topics, LANGUAGE to change language, COUNTRY "
                "to change country, MORE for the rest of a long answer, FORGET ME to "
                "delete everything about you. Reply 0 if an answer did not help."
            )
        )
        text += " " + self.t(_("ALERTS to get alerts for your country, STOP ALERTS to end them."))
        return self.reply(text, ReplyKind.INFO, choices=(self._menu_choice(),))

    def forgotten(self) -> Reply:
        """Confirm that the session was deleted."""
        return self.reply(
            self.t(
                _(
                    "Done: I have deleted your language, country and "
                    "conversation. Write again any time."
                )
            )
        )

    def page(self, text: str) -> Reply:
        """The next part of a long answer."""
        return self.reply(text, ReplyKind.PAGE)

    def pick_a_number(self, count: int) -> Reply:
        """A number that is none of the choices shown."""
        if count == 0:
            return self.reply(
                self.t(_("There is no list to choose from now. Write your question, or MENU.")),
                ReplyKind.ERROR,
                choices=(self._menu_choice(),),
            )
        text = self.t(_("Please reply with a number from 1 to {count}."), count=count)
        return self.reply(text, ReplyKind.ERROR)

    def nothing_more(self) -> Reply:
        """'More' with nothing left to send."""
        return self.reply(
            self.t(_("There is nothing more to show.")), choices=(self._menu_choice(),)
        )

    def thanks_for_feedback(self) -> Reply:
        """Reply to 'this helped'."""
        return self.reply(self.t(_("Thank you for telling me.")), choices=(self._menu_choice(),))

    def unsupported(self) -> Reply:
        """A sticker, photo or voice note: we can only read text and locations."""
        return self.reply(
            self.t(
                _("I can only read text messages and shared locations. Please write your question.")
            ),
            ReplyKind.ERROR,
        )

    def empty(self) -> Reply:
        """An empty message."""
        return self.reply(
            self.t(_("Please write your question.")),
            ReplyKind.ERROR,
            choices=(self._menu_choice(),),
        )

    # Helpers ---------------------------------------------------------------------------

    def cards(self, services: tuple[Service, ...]) -> tuple[ServiceCard, ...]:
        """Services as the user reads them: every field, labelled in their language."""

        def translate(message: str) -> str:
            return self.snapshot.locales.text(self.lang, message)

        return tuple(describe(s, translate, self._language_name) for s in services)

    def label(self, entry: Entry) -> str:
        """An entry's title in the user's language, or the nearest one it has."""
        lang, _notes = self.snapshot.matcher.answer_language(entry, self.lang)
        return _pick(entry.title, lang)

    def _in_scope(self) -> list[Entry]:
        country = self.session.country
        entries = self.snapshot.base.entries
        if country is None:
            return [e for e in entries if e.country is None]
        # The country's own entries first; region entries fill gaps and add what only the
        # region offers (the CARICOM skills certificate, family tracing...).
        return [e for e in entries if e.country == country] + [
            e for e in entries if e.country is None
        ]

    def _topic_choices(self) -> tuple[Choice, ...]:
        scope = self._in_scope() if self.session.country else self.snapshot.base.entries
        present = {e.topic for e in scope}
        return tuple(
            Choice(self.t(TOPIC_LABELS[t]), payloads.topic(t)) for t in TOPICS if t in present
        )

    def _settings_choices(self) -> tuple[Choice, ...]:
        return (
            Choice(self.t(_("Change language")), payloads.language()),
            Choice(self.t(_("Change country")), payloads.country()),
            Choice(self.t(_("Alerts")), payloads.ALERTS),
        )

    def _local_alternatives(self, entry: Entry, match: Match | None) -> tuple[Choice, ...]:
        # A region answer is general ("call the trafficking line of your country"); when the
        # country's own entry on the same topic was close behind, offer it straight away.
        if entry.country is not None or match is None or match.country is None:
            return ()
        local = [
            e for e in match.alternatives if e.country == match.country and e.topic == entry.topic
        ]
        return tuple(Choice(self.label(e), payloads.entry(e.id)) for e in local[:2])

    def _after_answer(self) -> tuple[Choice, ...]:
        choices = [self._menu_choice()]
        if self.session.language is None:
            choices.append(Choice(self.t(_("Change language")), payloads.language()))
        if self.session.country is None:
            choices.append(Choice(self.t(_("Choose your country")), payloads.country()))
        return tuple(choices)

    def _menu_choice(self) -> Choice:
        return Choice(self.t(_("Menu")), payloads.MENU)

    def _by_name(self, country: Country) -> str:
        return fold(country.name(self.lang))

    def _country_choices(self) -> tuple[Choice, ...]:
        countries = self.snapshot.base.countries.values()
        ordered = sorted(countries, key=self._by_name)
        return (
            *(Choice(c.name(self.lang), payloads.country(c.code)) for c in ordered),
            Choice(self.t(_("Skip")), payloads.country(payloads.NO_COUNTRY)),
        )

    def _country_name(self, code: str | None) -> str:
        country = self.snapshot.base.countries.get(code or "")
        return country.name(self.lang) if country else str(code)

    def _native_name(self, code: str) -> str:
        """The language's name in itself, as a language picker shows it."""
        language = self.snapshot.locales.languages.get(code)
        return language.name if language else code

    def _language_name(self, code: str) -> str:
        """The language's name as the user would say it: "anglais" to a French speaker."""
        native = self._native_name(code)
        if self.lang in _CLDR_FALLBACK:
            return native
        try:
            return Locale.parse(self.lang).languages.get(code) or native
        except (ValueError, UnknownLocaleError):
            return native


def _pick(texts: Any, lang: str) -> str:
    return str(texts.get(lang) or next(iter(texts.values())))


def _distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))
