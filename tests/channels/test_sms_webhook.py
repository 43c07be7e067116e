"""SMS end to end: requests signed with twilio's own validator, over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.channels.gsm import segments
from bot.library import build_snapshot
from bot.settings import Settings
from bot.storage import RedisStore, session_key
from bot.web import create_app
from bot.wiring import build
from tests.conftest import DATA
from tests.servers import running

TOKEN = "twilio-test-auth-token"
PUBLIC = "https://puente.example.org"  # what Twilio calls, in front of a proxy
_sids = itertools.count(1)


class Phone:
    """A user's phone texting one or more Puente servers through 'Twilio'."""

    def __init__(self, http: httpx.AsyncClient, urls: list[str], number: str) -> None:
        self.http, self.urls, self.number = http, urls, number

    async def send(
        self,
        body: str,
        sid: str | None = None,
        server: int = 0,
        signature: str | None = None,
        signed_url: str | None = None,
    ) -> httpx.Response:
        params = {
            "MessageSid": sid or f"SM{next(_sids):032d}",
            "From": self.number,
            "To": "+18685550000",
            "Body": body,
            "NumMedia": "0",
        }
        if signature is None:
            signature = RequestValidator(TOKEN).compute_signature(
                signed_url or PUBLIC + "/sms", params
            )
        return await self.http.post(
            self.urls[server] + "/sms", data=params, headers={"X-Twilio-Signature": signature}
        )

    async def text(self, body: str, **kwargs: object) -> str:
        response = await self.send(body, **kwargs)  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        return " | ".join(re.findall(r"<Message>(.*?)</Message>", response.text, re.S))


def settings_for(store: str) -> Settings:
    return Settings.from_env(
        {
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": PUBLIC,
            "SESSION_SECRET": "a-long-test-session-secret",
            "SESSION_STORE": store,
        },
        DATA / "mini",
    )


@contextlib.asynccontextmanager
async def servers(store: str, count: int = 1) -> AsyncIterator[list[str]]:
    async with contextlib.AsyncExitStack() as stack:
        urls = []
        for _ in range(count):
            app = create_app(build(settings_for(store), build_snapshot(DATA / "mini")), watch=False)
            urls.append(await stack.enter_async_context(running(app)))
        yield urls


@pytest.fixture
async def phone(tmp_path: Path) -> AsyncIterator[Phone]:
    async with servers(str(tmp_path / "s.sqlite3")) as urls, httpx.AsyncClient() as http:
        yield Phone(http, urls, "+18685550123")


async def test_signed_question_gets_twiml_with_the_short_answer(phone: Phone) -> None:
    reply = await phone.text("where can i see a doctor")
    assert reply.startswith("Example Clinic: free, weekdays. Bring any ID.")
    assert "Reply 0 if this did not help." in reply


async def test_sender_number_sets_the_country(phone: Phone) -> None:
    # A Trinidad number: the question goes to Trinidad's entries without asking.
    assert "consulate" in await phone.text("I lost my passport")


@pytest.mark.parametrize("case", ["forged", "unsigned", "other-url", "wrong-token"])
async def test_bad_signatures_are_refused(phone: Phone, case: str) -> None:
    params = {"MessageSid": "SMx", "From": phone.number, "Body": "hi"}
    signature = {
        "forged": "bm90IGEgc2lnbmF0dXJl",
        "unsigned": "",
        "other-url": RequestValidator(TOKEN).compute_signature("http://127.0.0.1/sms", params),
        "wrong-token": RequestValidator("other").compute_signature(PUBLIC + "/sms", params),
    }[case]
    response = await phone.send("hi", sid="SMx", signature=signature)
    assert response.status_code == 403


async def test_a_replayed_message_sid_gets_the_same_twiml_and_is_handled_once(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.sqlite3"
    async with servers(str(store)) as urls, httpx.AsyncClient() as http:
        phone = Phone(http, urls, "+18685550124")
        first = await phone.send("zqxv wobble frumious", sid="SMreplay")
        again = await phone.send("zqxv wobble frumious", sid="SMreplay")
        assert first.status_code == again.status_code == 200
        assert first.text == again.text and "<Message>" in first.text
        await phone.text("zqxv wobble frumious")  # the same words in a new message count
    with sqlite3.connect(store) as db:  # handled once: one record per message, not per delivery
        rows = db.execute("SELECT count(*) FROM records WHERE log = 'unanswered'").fetchone()
    assert rows == (2,)


async def test_numbered_menus_and_more_paging(phone: Phone) -> None:
    menu = await phone.text("MENU")
    assert "1=Health care" in menu
    topic = await phone.text("1")
    assert "1=See a doctor at a clinic" in topic
    answer = await phone.text("2")
    assert answer.startswith("Emergency room: Any public hospital emergency room treats urgent")
    assert "\n! Long waits at night.\n" in answer


async def test_stop_silences_until_start(phone: Phone) -> None:
    assert await phone.text("STOP") == ""
    assert await phone.text("where can i see a doctor") == ""
    welcome = await phone.text("START")
    assert welcome.startswith("Hello! I am Puente.")
    assert "Example Clinic" in await phone.text("where can i see a doctor")


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b'{"Body": "hi"}', {"Content-Type": "application/json"}),
        (b"", {"Content-Type": "application/x-www-form-urlencoded"}),
        (b"%%%&&&===", {"Content-Type": "application/x-www-form-urlencoded"}),
        (b"x" * 70_000, {"Content-Type": "application/x-www-form-urlencoded"}),
    ],
)
async def test_bad_bodies_get_4xx_never_500(
    phone: Phone, body: bytes, headers: dict[str, str]
) -> None:
    response = await phone.http.post(phone.urls[0] + "/sms", content=body, headers=headers)
    assert 400 <= response.status_code < 500


async def test_a_5000_character_message_is_answered_within_budget(phone: Phone) -> None:
    response = await phone.send("My story is long. " * 270 + "Where is a doctor?")
    assert response.status_code == 200
    messages = re.findall(r"<Message>(.*?)</Message>", response.text, re.S)
    assert messages
    for message in messages:  # each reply within SMS_MAX_SEGMENTS (2 by default)
        assert segments(html.unescape(message)) <= 2, message


async def test_sessions_are_shared_by_two_servers_through_redis(redis_url: str) -> None:
    store = RedisStore(redis_url)
    async with servers(redis_url, count=2) as urls, httpx.AsyncClient() as http:
        phone = Phone(http, urls, "+18685550999")
        languages = await phone.text("idioma", server=0)
        number = next(
            n for n, label in re.findall(r"(\d+)=([^ ]+)", languages) if label.startswith("Fran")
        )
        await phone.text(number, server=1)  # picked on the other server
        assert "Clinic" in await phone.text("ou est le medecin", server=0)
        menu = await phone.text("menu", server=1)
        assert "Santé" in menu or "Sante" in menu
    await store.close()


async def test_a_chunked_body_over_the_limit_is_cut_off_while_reading(phone: Phone) -> None:
    # 100 KB of a body that never ends: the answer must come without waiting for the rest.
    host, port = phone.urls[0].removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /sms HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    chunk = b"a=1&" * 256
    for _ in range(100):
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    await writer.drain()
    try:
        status = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    assert status.startswith(b"HTTP/1.1 413")


async def test_a_form_of_thousands_of_fields_is_refused_before_the_signature_check(
    phone: Phone,
) -> None:
    body = "&".join(f"f{n}=1" for n in range(5000)).encode()
    response = await phone.http.post(
        phone.urls[0] + "/sms",
        content=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400


async def test_forget_me_deletes_the_session_its_replies_and_its_questions_first(
    tmp_path: Path,
) -> None:
    store = tmp_path / "s.sqlite3"
    async with servers(str(store)) as urls, httpx.AsyncClient() as http:
        rosa = Phone(http, urls, "+18685550131")
        other = Phone(http, urls, "+18685550132")
        await rosa.text("my name is Rosa Diaz and zqxv wobble frumious")
        await other.text("zqxv wobble frumious")
        with sqlite3.connect(store) as db:
            assert db.execute("SELECT count(*) FROM markers").fetchone() == (2,)
        done = await rosa.text("FORGET ME")
        assert done.startswith("Done: I have deleted")
    with sqlite3.connect(store) as db:
        sessions = db.execute("SELECT count(*) FROM sessions").fetchone()
        markers = db.execute("SELECT count(*) FROM markers").fetchone()
        records = [r[0] for r in db.execute("SELECT data FROM records").fetchall()]
    assert sessions == (1,) and markers == (1,)  # only the other user's remain
    assert len(records) == 1 and "Rosa" not in records[0]


async def test_a_user_who_said_stop_can_still_be_forgotten(tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite3"
    async with servers(str(store)) as urls, httpx.AsyncClient() as http:
        phone = Phone(http, urls, "+18685550133")
        assert await phone.text("STOP") == ""
        assert (await phone.text("FORGET ME")).startswith("Done: I have deleted")
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM sessions").fetchone() == (0,)


async def test_script_a_number_abroad_is_asked_its_country_and_keeps_it(phone: Phone) -> None:
    phone.number = "+12125550100"  # a US number: no country of the base to assume
    asked = await phone.text("where can i see a doctor")
    assert asked.startswith("Which country are you in? I will answer your question for that")
    assert "1=Jamaica 2=Trinidad and Tobago 3=Skip" in asked
    said, answer = (await phone.text("2")).split(" | ")
    assert said == "I will answer for Trinidad and Tobago. Write COUNTRY to change it."
    assert answer.startswith("Example Clinic: free, weekdays. Bring any ID.")
    danger = await phone.text("he is beating me right now")
    first = danger.split(" | ")[0]
    assert first.startswith("Trinidad and Tobago: If you are in danger now, call:")
    assert "999" in first  # the numbers in the first message, before anything else
    stray = await phone.text("9")
    assert stray.startswith("Please reply with a number from 1 to")


async def test_a_message_that_waits_too_long_for_its_turn_is_asked_again_politely(
    redis_url: str,
) -> None:
    # The user's earlier message still holds their turn: the next is told to resend, in the
    # language of the number's country, rather than left without a reply.
    store = RedisStore(redis_url, prefix="busy:", turn_wait=0.3)
    settings = settings_for(redis_url)
    system = build(settings, build_snapshot(DATA / "mini"), store=store)
    number = "+18685550777"
    key = session_key(settings.session_secret, "sms", number)
    async with running(create_app(system, watch=False)) as url, httpx.AsyncClient() as http:
        async with store.lock(key):
            reply = await Phone(http, [url], number).send("where can i see a doctor")
        assert reply.status_code == 200
        assert "send this one again in a minute" in html.unescape(reply.text)
        health = await http.get(url + "/healthz")
        assert health.status_code == 200  # the store works: no outage was declared
        after = await Phone(http, [url], number).send("where can i see a doctor")
        assert "Example Clinic" in html.unescape(after.text)
    await store.close()
