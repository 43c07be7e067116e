"""Twilio's wire format, done once per process instead of once per request.

The signature is HMAC-SHA1 of the URL and the sorted form fields, checked over both URL forms
Twilio may sign (with and without the default port), in constant time: exactly what twilio's
`RequestValidator` accepts (tests/channels/test_twilio_wire.py holds the two side by side), but
with the key schedule computed once. TwiML is written as escaped text, byte for byte what
`MessagingResponse` writes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit
from xml.sax.saxutils import escape

_DEFAULT_PORTS = {"https": 443, "http": 80}
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>'


class Signatures:
    """Checks X-Twilio-Signature for one auth token."""

    def __init__(self, auth_token: str) -> None:
        self._keyed = hmac.new(auth_token.encode(), digestmod=hashlib.sha1)

    def compute(self, url: str, fields: Iterable[tuple[str, str]]) -> str:
        """The signature Twilio sends for a POST of `fields` to `url`."""
        values: dict[str, set[str]] = {}
        for name, value in fields:
            values.setdefault(name, set()).add(value)
        mac = self._keyed.copy()
        mac.update(url.encode())
        for name in sorted(values):
            for value in sorted(values[name]):
                mac.update(name.encode() + value.encode())
        return base64.b64encode(mac.digest()).decode()

    def valid(self, url: str, fields: list[tuple[str, str]], signature: str) -> bool:
        """Whether `signature` is Twilio's for `url` with or without its default port."""
        given = signature.encode()
        found = False
        for form in _url_forms(url):  # both computed, so the time does not tell which matched
            found |= hmac.compare_digest(self.compute(form, fields).encode(), given)
        return found


def _url_forms(url: str) -> tuple[str, str]:
    """The URL without and with its port, spelled as given (Twilio signs the host's case)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.port:
        bare, ported = netloc.rsplit(":", 1)[0], netloc
    else:
        bare, ported = netloc, f"{netloc}:{_DEFAULT_PORTS.get(parts.scheme, 80)}"
    return urlunsplit(parts._replace(netloc=bare)), urlunsplit(parts._replace(netloc=ported))


def twiml(messages: Iterable[str]) -> str:
    """A TwiML response of `messages`, as MessagingResponse would write it."""
    body = "".join(f"<Message>{escape(m)}</Message>" for m in messages)
    return f"{_XML_HEAD}<Response>{body}</Response>" if body else f"{_XML_HEAD}<Response />"
