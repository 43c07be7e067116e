"""Twilio's REST Messages client against a local fake of the endpoint, over real HTTP."""

from __future__ import annotations

import pytest

from bot.channels.twilio_rest import Sender, SendError, TwilioMessages
from tests.fake_twilio_api import ACCOUNT, AUTH, TwilioApi
from tests.servers import running


async def test_a_message_is_posted_with_the_number_and_the_body() -> None:
    api = TwilioApi()
    async with running(api.app()) as url:
        client = TwilioMessages(ACCOUNT, AUTH, Sender(from_number="+18685550100"), url)
        try:
            sid = await client.send("+18685550177", "Hola, soy Marta.")
        finally:
            await client.close()
    assert sid.startswith("SM") and api.unexpected == []
    [sent] = api.messages
    assert sent["To"] == "+18685550177" and sent["From"] == "+18685550100"
    assert sent["Body"] == "Hola, soy Marta."


async def test_a_messaging_service_sends_instead_of_a_number() -> None:
    api = TwilioApi()
    async with running(api.app()) as url:
        client = TwilioMessages(ACCOUNT, AUTH, Sender(messaging_service_sid="MG" + "1" * 32), url)
        try:
            await client.send("+18685550177", "hi")
        finally:
            await client.close()
    assert api.messages[0]["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in api.messages[0]


async def test_a_refusal_is_an_error_that_does_not_name_the_number() -> None:
    api = TwilioApi(failing=True)
    async with running(api.app()) as url:
        client = TwilioMessages(ACCOUNT, AUTH, Sender(from_number="+18685550100"), url)
        try:
            with pytest.raises(SendError) as error:
                await client.send("+18685550177", "hi")
        finally:
            await client.close()
    assert "500" in str(error.value) and "5550177" not in str(error.value)
