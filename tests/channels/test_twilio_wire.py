"""Our Twilio signature check and TwiML against twilio's own, case by case."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.twilio_wire import Signatures, twiml

TOKEN = "twilio-test-auth-token"
FIELDS = [("MessageSid", "SM1"), ("From", "+18685550123"), ("Body", "hola & <adiós>")]


@pytest.mark.parametrize(
    ("signed_url", "checked_url"),
    [
        ("https://puente.example.org/sms", "https://puente.example.org/sms"),
        ("https://puente.example.org:443/sms", "https://puente.example.org/sms"),
        ("https://puente.example.org/sms", "https://puente.example.org:443/sms"),
        ("http://puente.example.org:8080/sms", "http://puente.example.org:8080/sms"),
        ("https://puente.example.org/sms?a=1&b=2", "https://puente.example.org/sms?a=1&b=2"),
        ("https://user:pw@puente.example.org/sms", "https://user:pw@puente.example.org/sms"),
        ("https://Puente.Example.org/sms", "https://Puente.Example.org/sms"),
    ],
)
def test_we_accept_exactly_what_twilio_accepts(signed_url: str, checked_url: str) -> None:
    theirs = RequestValidator(TOKEN)
    signature = theirs.compute_signature(signed_url, dict(FIELDS))
    assert Signatures(TOKEN).compute(signed_url, FIELDS) == signature
    assert Signatures(TOKEN).valid(checked_url, FIELDS, signature) is theirs.validate(
        checked_url, dict(FIELDS), signature
    )
    assert Signatures(TOKEN).valid(checked_url, FIELDS, signature)


@pytest.mark.parametrize(
    "forge",
    [
        lambda s: s[:-2] + ("AA" if s[-2:] != "AA" else "BB"),  # a changed signature
        lambda s: "",  # none
        lambda s: s.lower(),
    ],
)
def test_forged_signatures_are_refused_by_both(forge: object) -> None:
    url = "https://puente.example.org/sms"
    good = RequestValidator(TOKEN).compute_signature(url, dict(FIELDS))
    bad = forge(good)  # type: ignore[operator]
    assert not Signatures(TOKEN).valid(url, FIELDS, bad)
    assert not RequestValidator(TOKEN).validate(url, dict(FIELDS), bad)
    other_body = [*FIELDS[:2], ("Body", "something else")]
    assert not Signatures(TOKEN).valid(url, other_body, good)
    assert not Signatures("another-token").valid(url, FIELDS, good)


def test_repeated_fields_are_signed_as_twilio_does() -> None:
    fields = [("MediaUrl", "b"), ("MediaUrl", "a"), ("Body", "x")]

    class MultiDict(dict[str, list[str]]):  # what Flask hands twilio's validator
        def getall(self, name: str) -> list[str]:
            return self[name]

    expected = RequestValidator(TOKEN).compute_signature(
        "https://p.example.org/sms", MultiDict({"MediaUrl": ["b", "a"], "Body": ["x"]})
    )
    assert Signatures(TOKEN).compute("https://p.example.org/sms", fields) == expected


@pytest.mark.parametrize(
    "messages",
    [[], ["one"], ["a & b <c> \"q\" 's'", "x\ny"], ["Clínica: gratis €"]],
)
def test_twiml_is_byte_for_byte_what_messaging_response_writes(messages: list[str]) -> None:
    response = MessagingResponse()
    for message in messages:
        response.message(message)
    assert twiml(messages) == str(response)
