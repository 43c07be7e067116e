"""WhatsApp through Twilio, end to end: signed webhooks over real HTTP, TwiML back."""

from __future__ import annotations

import contextlib
import itertools
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from bot.channels.whatsapp_render import LIMIT, render
from bot.conversation.messages import Choice, Reply
from bot.conversation.payloads import entry
from bot.library import build_snapshot
from bot.web import create_app
from bot.wiring import build
from tests.channels.test_sms_webhook import PUBLIC, TOKEN, Phone, settings_for
from tests.conftest import DATA
from tests.servers import running

_sids = itertools.count(1)
NUMBER = "+18685550177"


class WhatsApp:
    """A WhatsApp user writing to Puente through Twilio's webhook."""

    def __init__(self, http: httpx.AsyncClient, url: str, number: str, path: str = "/sms") -> None:
        self.http, self.url, self.number, self.path = http, url, number, path

    async def send(self, body: str = "", sid: str | None = None, **extra: str) -> httpx.Response:
        params = {
            "MessageSid": sid or f"SM{next(_sids):032d}",
            "From": "whatsapp:" + self.number,
            "To": "whatsapp:+14155238886",
            "Body": body,
            "NumMedia": "0",
            **extra,
        }
        signature = RequestValidator(TOKEN).compute_signature(PUBLIC + self.path, params)
        return await self.http.post(
            self.url + self.path, data=params, headers={"X-Twilio-Signature": signature}
        )

    async def messages(self, body: str = "", **extra: str) -> list[str]:
        response = await self.send(body, **extra)
        assert response.status_code == 200, response.text
        return re.findall(r"<Message>(.*?)</Message>", response.text, re.S)


@contextlib.asynccontextmanager
async def served(tmp_path: Path, knowledge: Path = DATA / "mini") -> AsyncIterator[str]:
    settings = settings_for(str(tmp_path / "s.sqlite3"))
    app = create_app(build(settings, build_snapshot(knowledge)), watch=False)
    async with running(app) as url:
        yield url


async def test_a_whatsapp_question_is_answered_with_bold_title_and_tappable_numbers(
    tmp_path: Path,
) -> None:
    async with served(tmp_path) as url, httpx.AsyncClient() as http:
        messages = await WhatsApp(http, url, NUMBER).messages("where can i see a doctor")
    text = "\n".join(messages)
    assert "*See a doctor at a clinic*" in text
    assert "Example Clinic sees everyone for free on weekdays." in text  # the full answer
    assert "*Example Clinic*\n+1 868 555 0100" in text
    assert "Reply 0 if this did not help." in text


async def test_the_whatsapp_path_is_signed_and_answers_on_its_own_route_too(
    tmp_path: Path,
) -> None:
    async with served(tmp_path) as url, httpx.AsyncClient() as http:
        own = await WhatsApp(http, url, NUMBER, path="/whatsapp").messages("MENU")
        assert "1. Health care" in "\n".join(own)
        forged = await http.post(
            url + "/whatsapp",
            data={"MessageSid": "SMf", "From": "whatsapp:" + NUMBER, "Body": "hi"},
            headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        )
        assert forged.status_code == 403


async def test_accents_are_kept_and_a_redelivery_gets_the_same_reply(tmp_path: Path) -> None:
    async with served(tmp_path) as url, httpx.AsyncClient() as http:
        user = WhatsApp(http, url, NUMBER)
        first = await user.send("necesito un doctor para mi hijo", sid="SMwa1")
        again = await user.send("necesito un doctor para mi hijo", sid="SMwa1")
    assert first.text == again.text
    assert "Clínica" in first.text  # no GSM-7 transliteration on WhatsApp


async def test_one_number_has_one_session_per_channel(tmp_path: Path) -> None:
    async with served(tmp_path) as url, httpx.AsyncClient() as http:
        whatsapp = WhatsApp(http, url, NUMBER)
        await whatsapp.messages("MENU")
        sms = Phone(http, [url], NUMBER)
        # The menu was shown on WhatsApp: "1" picks from it there, and means nothing by SMS.
        assert "There is no list to choose from now" in await sms.text("1")
        assert "Choose a question" in "\n".join(await whatsapp.messages("1"))


async def test_a_shared_location_gets_the_nearest_services(tmp_path: Path) -> None:
    async with served(tmp_path) as url, httpx.AsyncClient() as http:
        messages = await WhatsApp(http, url, NUMBER).messages(Latitude="10.66", Longitude="-61.52")
    text = "\n".join(messages)
    assert text.index("Example Clinic") < text.index("Far Clinic")


async def test_without_coordinates_a_location_gets_the_country_services(tmp_path: Path) -> None:
    knowledge = tmp_path / "kb"
    shutil.copytree(DATA / "mini", knowledge)
    health = knowledge / "tt" / "health.yaml"
    health.write_text(re.sub(r", lat: [-\d.]+, lon: [-\d.]+", "", health.read_text()))
    async with served(tmp_path, knowledge) as url, httpx.AsyncClient() as http:
        text = "\n".join(
            await WhatsApp(http, url, NUMBER).messages(Latitude="10.66", Longitude="-61.52")
        )
    assert "cannot tell which places are nearest" in text
    assert "Trinidad and Tobago" in text and "+1 868 555 0100" in text
    assert "km" not in text  # no distance without coordinates


async def test_a_bad_location_is_refused_politely(tmp_path: Path) -> None:
    async with served(tmp_path) as url, httpx.AsyncClient() as http:
        response = await WhatsApp(http, url, NUMBER).send(Latitude="north", Longitude="-61")
    assert response.status_code == 400 and "Latitude" in response.text


@pytest.mark.parametrize("size", [100, 1599, 1601, 5000])
def test_long_replies_are_split_under_whatsapps_limit(size: int) -> None:
    text = " ".join(["word"] * (size // 5))
    reply = Reply(text, title="Title", choices=(Choice("One", entry("x")),))
    parts = render(reply, lambda lang, message: message)
    assert all(len(p) <= LIMIT for p in parts)
    assert " ".join(parts).count("word") == size // 5
    assert parts[-1].endswith("1. One")
