"""Telegram rendering is pure: exact HTML and buttons for a reply."""

from __future__ import annotations

from datetime import date

from bot.channels.telegram_render import LIMIT, Outgoing, render
from bot.content.model import Service
from bot.conversation import payloads
from bot.conversation.messages import Choice, Reply, ReplyKind
from bot.conversation.services import describe

SPANISH = {"Was this helpful?": "¿Le sirvió?", "Yes": "Sí", "No": "No", "Who can go": "Quién"}


def translate(lang: str, text: str) -> str:
    return SPANISH.get(text, text) if lang == "es" else text


def test_an_answer_renders_escaped_html_with_every_service_field_and_buttons() -> None:
    clinic = Service(
        "Clínica <Ejemplo>",
        phone="+1 868 555 0100",
        address="1 Calle Ejemplo",
        hours="lun-vie 8-16",
        url="https://example.org/c?a=1&b=2",
        eligibility="todas las personas",
        as_of=date(2024, 5, 1),
    )
    card = describe(clinic, lambda text: translate("es", text), lambda code: code)
    reply = Reply(
        "Atiende gratis.\n\nLleve su cédula.",
        ReplyKind.ANSWER,
        "es",
        title="Clínica & salud",
        warning="Cambia en 2026",
        notice="Esta respuesta es para Trinidad.",
        services=(card,),
        footer="Revisado el 2026-10-01.",
        choices=(Choice("Menú", payloads.MENU), Choice("Idioma", payloads.language())),
        ask_feedback=True,
    )
    assert render(reply, translate) == [
        Outgoing(
            "⚠️ <b>Cambia en 2026</b>\n\n"
            "<i>Esta respuesta es para Trinidad.</i>\n\n"
            "<b>Clínica &amp; salud</b>\n\n"
            "Atiende gratis.\n\n"
            "Lleve su cédula.\n\n"
            "<b>Clínica &lt;Ejemplo&gt;</b> · +1 868 555 0100 · 1 Calle Ejemplo · lun-vie 8-16"
            " · Quién: todas las personas"
            ' · <a href="https://example.org/c?a=1&amp;b=2">https://example.org/c?a=1&amp;b=2</a>'
            " · contact details published 2024-05-01\n\n"
            "<i>Revisado el 2026-10-01.</i>\n\n"
            "¿Le sirvió?",
            (
                (("👍 Sí", "feedback:yes"), ("👎 No", "feedback:no")),
                (("Menú", "menu"),),
                (("Idioma", "lang"),),
            ),
        )
    ]


def test_a_long_reply_is_split_between_paragraphs_with_buttons_on_the_last_part() -> None:
    paragraphs = [f"Paragraph {n} " + "word " * 300 for n in range(6)]
    reply = Reply("\n\n".join(paragraphs), choices=(Choice("Menu", payloads.MENU),))
    parts = render(reply, translate)
    assert len(parts) > 1 and all(len(p.html) <= LIMIT for p in parts)
    assert [p.buttons for p in parts[:-1]] == [()] * (len(parts) - 1)
    assert parts[-1].buttons == ((("Menu", "menu"),),)
    assert "\n\n".join(p.html for p in parts) == "\n\n".join(paragraphs)


def test_a_choice_too_long_for_telegrams_callback_data_is_left_out() -> None:
    long = payloads.entry("x" * 70)
    reply = Reply("Pick", choices=(Choice("Too long", long), Choice("Menu", payloads.MENU)))
    assert render(reply, translate)[0].buttons == ((("Menu", "menu"),),)
