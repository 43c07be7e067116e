"""Conversation flows, as a user lives them, through the channel-agnostic engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.conversation.engine import Engine, Outcome
from bot.conversation.messages import Inbound
from bot.conversation.payloads import Payload
from bot.conversation.session import Session
from bot.library import Library, build_snapshot
from tests.conftest import DATA, add_entries


@pytest.fixture(scope="module")
def engine() -> Engine:
    snapshot = build_snapshot(DATA / "mini")
    assert not snapshot.errors, snapshot.errors
    return Engine(Library(snapshot))


async def say(engine: Engine, session: Session, text: str, **extra: object) -> Outcome:
    return await engine.handle(Inbound("test", "u1", text=text, **extra), session)  # type: ignore[arg-type]


async def test_with_no_country_the_country_is_asked_and_the_question_answered_on_the_pick(
    engine: Engine,
) -> None:
    asked = await say(engine, Session(), "necesito un medico para mi hijo")
    [question] = asked.replies
    assert question.kind == "menu" and question.entry_id is None  # never a guessed country
    assert question.text == "¿En qué país está? Le respondo para ese país."
    labels = [c.label for c in question.choices]
    assert labels == ["Jamaica", "Trinidad y Tobago", "Omitir"]
    assert asked.session is not None and asked.session.pending is not None
    picked = await say(engine, asked.session, "2")
    said, answer = picked.replies
    assert said.text == "Respondo para Trinidad y Tobago. Escriba PAÍS para cambiarlo."
    assert answer.kind == "answer" and answer.entry_id == "mini-tt-clinic"
    assert answer.language == "es" and answer.text.startswith("La Clínica Ejemplo")
    assert answer.footer == "Revisado el 2026-10-01. Confirme en https://example.org/clinic"
    assert picked.session is not None and picked.session.country == "tt"
    assert picked.session.pending is None
    again = await say(engine, picked.session, "necesito un medico")  # the country is kept
    assert [r.entry_id for r in again.replies] == ["mini-tt-clinic"]


async def test_a_question_that_names_its_country_is_answered_at_once(engine: Engine) -> None:
    outcome = await say(engine, Session(), "necesito un medico en trinidad")
    answer = outcome.replies[-1]
    assert answer.kind == "answer" and answer.entry_id == "mini-tt-clinic"
    payloads = [c.payload.encode() for c in answer.choices]
    assert "lang" in payloads and "country" in payloads  # offered, not demanded


async def test_answer_in_another_language_says_so(engine: Engine) -> None:
    outcome = await say(engine, Session(country="tt"), "mwen bezwen yon doktè pou pitit mwen")
    answer = outcome.replies[-1]
    assert answer.entry_id == "mini-tt-clinic"
    assert answer.language == "ht"  # interface in Kreyòl...
    assert answer.text.startswith("Example Clinic")  # ...content along ht → fr → en
    assert answer.notice is not None and "poko ekri an Kreyòl" in answer.notice


async def test_greeting_gets_a_welcome_not_a_knowledge_answer(engine: Engine) -> None:
    outcome = await say(engine, Session(), "hola")
    reply = outcome.replies[0]
    assert reply.kind == "greeting" and reply.entry_id is None
    assert reply.language == "es"
    assert any(c.payload.encode() == "topic:health" for c in reply.choices)
    assert outcome.unanswered is None


async def test_numbered_menu_navigation_reaches_an_answer(engine: Engine) -> None:
    session = Session(country="tt", language="en")
    menu = await say(engine, session, "menu")
    assert [c.payload.encode() for c in menu.replies[0].choices][:3] == [
        "topic:health",
        "topic:certification",
        "topic:documents",
    ]
    assert menu.session is not None
    topic = await say(engine, menu.session, "1")
    assert [c.payload.encode() for c in topic.replies[0].choices][:2] == [
        "entry:mini-tt-clinic",
        "entry:mini-tt-emergency",
    ]
    assert topic.session is not None
    answer = await say(engine, topic.session, "2")
    assert answer.replies[0].entry_id == "mini-tt-emergency"
    assert answer.replies[0].warning == "Long waits at night."


async def test_language_keyword_then_choice_switches_the_interface(engine: Engine) -> None:
    asked = await say(engine, Session(), "idioma")
    assert "lang:pt" in [c.payload.encode() for c in asked.replies[0].choices]
    assert asked.session is not None
    chosen = await engine.handle(
        Inbound("test", "u1", payload=Payload.parse("lang:fr")), asked.session
    )
    assert chosen.session is not None and chosen.session.language == "fr"
    assert chosen.replies[0].text == "Je vous répondrai en français."


async def test_country_choice_and_skip(engine: Engine) -> None:
    chosen = await engine.handle(
        Inbound("test", "u1", payload=Payload.parse("country:jm")), Session()
    )
    assert chosen.session is not None and chosen.session.country == "jm"
    skipped = await engine.handle(
        Inbound("test", "u1", payload=Payload.parse("country:none")), chosen.session
    )
    assert skipped.session is not None and skipped.session.country is None


async def test_forget_me_deletes_the_session(engine: Engine) -> None:
    outcome = await say(engine, Session(language="es", country="tt"), "borrar mis datos")
    assert outcome.session is None
    assert outcome.replies[0].text.startswith("Listo")


async def test_emergency_words_answer_first_with_the_countrys_numbers(engine: Engine) -> None:
    outcome = await say(engine, Session(country="tt"), "auxilio me quieren matar")
    first = outcome.replies[0]
    assert first.kind == "emergency"
    assert "999" in first.text and "990" in first.text


@pytest.mark.parametrize(
    "message",
    [
        "help! a man is beating my sister outside",
        "mi vecino no respira, que hago",
        "li pa ka respire, ede m",
        "mon ami a été poignardé devant le bar",
    ],
)
async def test_an_emergency_told_as_it_happens_gets_the_numbers_first(
    engine: Engine, message: str
) -> None:
    outcome = await say(engine, Session(country="tt"), message)
    assert outcome.replies[0].kind == "emergency", message
    assert "999" in outcome.replies[0].text


async def test_an_ordinary_question_gets_no_alarm(engine: Engine) -> None:
    outcome = await say(engine, Session(country="tt"), "where can I see a doctor")
    assert all(reply.kind != "emergency" for reply in outcome.replies)


async def test_emergency_without_country_gives_every_countrys_numbers(engine: Engine) -> None:
    outcome = await say(engine, Session(), "anmwe")
    [block] = outcome.replies
    assert block.kind == "emergency"
    assert block.text.splitlines()[1:3] == ["Jamayik: 119", "Trinidad ak Tobago: 999 · 990"]
    assert "country:tt" in [c.payload.encode() for c in block.choices]


@pytest.mark.parametrize(
    "text",
    ["ayuda mi esposo me esta golpeando", "mi esposo me pega", "mon mari me frappe"],
)
async def test_danger_told_in_ordinary_words_brings_the_numbers_not_a_guessed_country(
    engine: Engine, text: str
) -> None:
    outcome = await say(engine, Session(), text)
    assert [r.kind for r in outcome.replies] == ["emergency"]
    assert "999" in outcome.replies[0].text and "119" in outcome.replies[0].text


@pytest.mark.parametrize(
    "text", ["I was robbed last year, how do I get a police report", "hola", "menu please"]
)
async def test_no_alarm_for_what_is_over_or_ordinary(engine: Engine, text: str) -> None:
    outcome = await say(engine, Session(country="tt"), text)
    assert "emergency" not in [r.kind for r in outcome.replies]


async def test_not_helpful_records_the_question_for_editors(engine: Engine) -> None:
    answered = await say(engine, Session(country="tt"), "where can I see a doctor")
    assert answered.session is not None
    feedback = await say(engine, answered.session, "0")
    assert feedback.unanswered is not None
    assert feedback.unanswered.reason == "not helpful"
    assert feedback.unanswered.text == "where can I see a doctor"


async def test_out_of_scope_abstains_and_is_recorded(engine: Engine) -> None:
    outcome = await say(engine, Session(country="tt"), "who won the football match yesterday")
    assert outcome.replies[0].kind == "not_sure"
    assert outcome.unanswered is not None and outcome.unanswered.reason == "abstained"


async def test_stickers_empty_and_huge_messages_get_polite_replies(engine: Engine) -> None:
    sticker = await engine.handle(Inbound("test", "u1", unsupported="sticker"), Session())
    assert sticker.replies[0].kind == "error"
    empty = await say(engine, Session(), "   ")
    assert empty.replies[0].kind == "error"
    story = "I have been here a long time and things are hard. " * 100
    huge = await say(engine, Session(country="tt"), story + "I lost my passport.")
    assert huge.replies  # answered or not sure, never an exception


async def test_more_sends_pending_pages_in_order(engine: Engine) -> None:
    session = Session(pages=("part 2", "part 3"))
    second = await say(engine, session, "more")
    assert second.replies[0].text == "part 2"
    assert second.session is not None
    third = await say(engine, second.session, "MAS")
    assert third.replies[0].text == "part 3"
    assert third.session is not None
    done = await say(engine, third.session, "more")
    assert done.replies[0].text == "There is nothing more to show."


async def test_sms_sender_country_is_used_when_none_chosen(engine: Engine) -> None:
    outcome = await engine.handle(
        Inbound("sms", "u1", text="lost passport", country_hint="tt"), Session()
    )
    assert outcome.session is not None and outcome.session.country == "tt"
    assert outcome.replies[-1].entry_id == "mini-tt-passport"


async def test_shared_location_lists_the_nearest_services(engine: Engine) -> None:
    outcome = await engine.handle(
        Inbound("test", "u1", location=(10.66, -61.52)), Session(country="tt")
    )
    names = [s.name for s in outcome.replies[0].services]
    assert names == ["Example Clinic", "Far Clinic"]


async def test_the_apps_language_is_used_until_the_user_writes(engine: Engine) -> None:
    sticker = await engine.handle(
        Inbound("test", "u1", unsupported="sticker", language_hint="fr-FR"), Session()
    )
    assert sticker.replies[0].text.startswith("Je ne peux lire que")
    assert sticker.session is not None
    written = await say(engine, sticker.session, "where can i see a doctor")
    assert written.replies[-1].language == "en"  # what they write wins


async def test_a_command_word_answers_in_its_own_language(engine: Engine) -> None:
    helped = await say(engine, Session(detected="ht"), "AYUDA")
    assert helped.replies[0].text.startswith("Escriba su pregunta")
    menu = await say(engine, Session(detected="fr"), "menu")  # French says menu too
    assert menu.replies[0].text == "De quoi avez-vous besoin ?"


async def test_a_region_answer_offers_the_countrys_own_entry_on_the_same_topic(
    mini: Path,
) -> None:
    add_entries(
        mini,
        "tt/certification.yaml",
        "certification",
        """\
  - id: mini-tt-trade-test
    title: {en: Trade test at the training agency, es: Prueba de oficio}
    questions:
      en: [trade test for welders, trade test for plumbers, certificate for my trade]
      es: [prueba de oficio para soldadores, prueba de oficio para plomeros]
    answer: {en: "The training agency tests your trade.", es: "La agencia prueba su oficio."}
    sources: [https://example.org/trade]
    reviewed: 2026-10-01
""",
    )
    engine = Engine(Library(build_snapshot(mini)))
    question = "how do i get the regional skills certificate from the ministry of labour"
    outcome = await say(engine, Session(country="tt"), question)
    answer = outcome.replies[-1]
    assert answer.entry_id == "mini-region-skills"
    assert answer.choices[0].payload.encode() == "entry:mini-tt-trade-test"  # the local one, first
    assert answer.choices[0].label == "Trade test at the training agency"
    elsewhere = await say(engine, Session(country="tt"), "where can i see a doctor")
    assert all(
        c.payload.encode().startswith(("menu", "lang", "country"))
        for c in elsewhere.replies[-1].choices
    )
