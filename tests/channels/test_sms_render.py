"""SMS replies: the entry's own short text first, GSM-7, numbered choices, pages for MORE."""

from __future__ import annotations

import pytest

from bot.channels.gsm import is_gsm, segments
from bot.channels.sms_render import render
from bot.conversation import payloads
from bot.conversation.messages import Choice, Reply, ReplyKind
from bot.conversation.services import Detail, ServiceCard

SPANISH = {
    "Reply with a number:": "Responda con un número:",
    "Reply 0 if this did not help.": "Responda 0 si esto no le sirvió.",
    "Reply MORE for the rest.": "Responda MAS para ver el resto.",
}


def translate(lang: str, text: str) -> str:
    return SPANISH.get(text, text) if lang == "es" else text


def test_short_answer_with_choices_and_feedback_fits_in_one_message() -> None:
    reply = Reply(
        "Texto largo",
        ReplyKind.ANSWER,
        "es",
        title="Clínica",
        short="Clínica Ejemplo: gratis.",
        services=(ServiceCard("Clínica Ejemplo", (Detail("phone", "", "+1 868 555 0100"),)),),
        footer="Revisado el 2026-10-01. Confirme en https://www.example.org/clinic/",
        choices=(Choice("Menú", payloads.MENU),),
        ask_feedback=True,
    )
    assert render(reply, translate, 2) == [
        "Clinica Ejemplo: gratis.\n"
        "Clinica Ejemplo: +1 868 555 0100\n"
        "Revisado el 2026-10-01. Confirme en example.org\n"
        "Responda con un numero: 1=Menu\n"
        "Responda 0 si esto no le sirvio."
    ]


def test_accents_outside_gsm_are_transliterated() -> None:
    [part] = render(Reply("Atención médica en el campamento", language="es"), translate, 2)
    assert part == "Atencion médica en el campamento" and is_gsm(part)


@pytest.mark.parametrize("budget", [1, 2, 3])
def test_long_answers_are_paged_within_the_budget(budget: int) -> None:
    sentences = [f"Sentence number {n} explains one more step of the process." for n in range(30)]
    reply = Reply(
        " ".join(sentences), ReplyKind.ANSWER, "en", choices=(Choice("Menu", payloads.MENU),)
    )
    pages = render(reply, translate, budget=budget)
    assert len(pages) > 1
    assert all(segments(page) <= budget for page in pages)
    assert all(page.endswith("Reply MORE for the rest.") for page in pages[:-1])
    assert pages[-1].endswith("1=Menu")
    sent = " ".join(p.replace("\nReply MORE for the rest.", "") for p in pages)
    for sentence in sentences:  # nothing is lost between pages
        assert sentence in sent


def test_one_enormous_word_is_still_paged() -> None:
    pages = render(Reply("x" * 1000), translate, budget=1)
    assert all(segments(page) <= 1 for page in pages)
    assert "".join(p.replace("\nReply MORE for the rest.", "") for p in pages) == "x" * 1000


def test_the_answer_comes_first_the_warning_in_one_line_and_no_contact_twice() -> None:
    reply = Reply(
        "Texto largo",
        ReplyKind.ANSWER,
        "es",
        title="DPI",
        short="DPI: lo da el RENAP. RENAP: 2416-1900.",
        warning="Las oficinas cierran a las 3. Lleve copia de todo y llegue temprano.",
        services=(
            ServiceCard("Registro Nacional (RENAP)", (Detail("phone", "", "+502 2416-1900"),)),
            ServiceCard("Otra oficina", (Detail("phone", "", "+502 2222-3333"),)),
        ),
        footer="Revisado el 2026-11-23. Confirme en https://www.renap.gob.gt/requisitos/dpi",
    )
    [part] = render(reply, translate, 2)
    assert part == (
        "DPI: lo da el RENAP. RENAP: 2416-1900.\n"
        "! Las oficinas cierran a las 3.\n"
        "Otra oficina: +502 2222-3333\n"
        "Revisado el 2026-11-23. Confirme en renap.gob.gt"
    )
