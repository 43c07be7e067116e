"""Every choice shown stays valid until a newer list replaces it; a stray number is no question."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bot.channels.sms_render import render
from bot.content.locales import Locales
from bot.conversation.engine import Engine
from bot.conversation.messages import Inbound, Outcome, Reply
from bot.conversation.session import Session
from bot.library import Library, build_snapshot
from tests.conftest import DATA, ROOT


def split(reply: Reply, locales: Locales) -> Sequence[str]:
    return render(reply, locales.text, 2)


@pytest.fixture(scope="module")
def shipped() -> Engine:
    return Engine(Library(build_snapshot(ROOT / "knowledge")))


async def sms(engine: Engine, session: Session | None, text: str) -> Outcome:
    return await engine.handle(Inbound("sms", "u", text=text), session or Session(), split)


async def test_the_list_of_an_answer_still_works_after_more(shipped: Engine) -> None:
    # The case: como saco mi dpi -> MAS -> 1 used to say "No encontré una respuesta".
    answer = await sms(shipped, Session(country="gt"), "como saco mi dpi")
    assert answer.session is not None and answer.session.pages  # a long answer, paged
    more = await sms(shipped, answer.session, "MAS")
    assert more.session is not None
    picked = await sms(shipped, more.session, "1")
    assert picked.replies[0].kind != "not_sure" and picked.unanswered is None
    assert picked.replies[0].kind == "menu"  # 1 = the topic menu offered under the answer


async def test_a_number_that_matches_no_choice_asks_for_one_and_is_not_logged(
    shipped: Engine,
) -> None:
    answer = await sms(shipped, Session(country="gt", language="es"), "como saco mi dpi")
    assert answer.session is not None
    count = len(answer.session.menu)
    stray = await sms(shipped, answer.session, "11")
    assert [r.text for r in stray.replies] == [f"Responda con un número del 1 al {count}."]
    assert stray.unanswered is None
    assert stray.session is not None and stray.session.menu == answer.session.menu


async def test_a_number_with_no_list_says_so() -> None:
    engine = Engine(Library(build_snapshot(DATA / "mini")))
    outcome = await sms(engine, Session(country="tt", language="en"), "7")
    assert outcome.replies[0].text.startswith("There is no list to choose from now.")
    assert outcome.unanswered is None


async def test_a_country_the_user_says_they_are_in_is_kept(shipped: Engine) -> None:
    first = await shipped.handle(
        Inbound("terminal", "u", text="acabo de llegar a guatemala, como saco mi DPI"), Session()
    )
    said, answer = first.replies
    assert said.text == "Respondo para Guatemala. Escriba PAÍS para cambiarlo."
    assert answer.entry_id is not None and answer.entry_id.startswith("gt-")
    assert first.session is not None and first.session.country == "gt"
    then = await shipped.handle(Inbound("terminal", "u", text="y pa trabajo q hay?"), first.session)
    assert [r.entry_id[:3] for r in then.replies if r.entry_id] == ["gt-"]


async def test_a_country_named_for_someone_else_answers_that_message_only(
    shipped: Engine,
) -> None:
    outcome = await shipped.handle(
        Inbound("terminal", "u", text="my sister in jamaica needs a doctor"), Session(country="tt")
    )
    assert [r.entry_id[:3] for r in outcome.replies if r.entry_id] == ["jm-"]
    assert outcome.session is not None and outcome.session.country == "tt"
