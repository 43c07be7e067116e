"""Twilio's REST Messages API: messages Puente starts, not replies in a webhook's TwiML.

A moderator's answer to an SMS user (and, later, WhatsApp and alerts) is sent here with
twilio's own client (its resources, its errors) over an httpx transport, the HTTP library the
Telegram side already uses: nothing blocks the event loop, and twilio's aiohttp transport's
deprecated BasicAuth is not needed.
`TWILIO_API_BASE_URL` points it at a proxy or at the tests' local fake.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from twilio.base.exceptions import TwilioException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client

log = logging.getLogger(__name__)


TIMEOUT = 10.0  # seconds; a moderator's reply is retried by them, not queued forever


class _Httpx(AsyncHttpClient):  # type: ignore[misc]
    """twilio's async transport seam, spoken with httpx."""

    def __init__(self) -> None:
        super().__init__(logger=log, is_async=True, timeout=TIMEOUT)
        self.client = httpx.AsyncClient(timeout=TIMEOUT)

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 (twilio's signature)
        allow_redirects: bool = False,
    ) -> Response:
        response = await self.client.request(
            method.upper(),
            url,
            params=params,  # type: ignore[arg-type]
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout or TIMEOUT,
            follow_redirects=allow_redirects,
        )
        return Response(response.status_code, response.text, response.headers)

    async def close(self) -> None:
        await self.client.aclose()


class SendError(Exception):
    """Twilio did not take the message; the text says why, never the number."""


@dataclass(frozen=True)
class Sender:
    """Who a message is from: a number, or a Messaging Service that picks one."""

    from_number: str | None = None
    messaging_service_sid: str | None = None


class TwilioMessages:
    """Sends messages through POST /2010-04-01/Accounts/{sid}/Messages.json."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sender: Sender,
        base_url: str = "https://api.twilio.com",
    ) -> None:
        if not (sender.from_number or sender.messaging_service_sid):
            raise ValueError("a sender needs a number or a messaging service")
        self.account_sid, self.auth_token = account_sid, auth_token
        self.sender, self.base_url = sender, base_url.rstrip("/")
        self._http: _Httpx | None = None
        self._client: Any = None

    def _ready(self) -> Any:
        if self._client is None:
            self._http = _Httpx()
            client = Client(self.account_sid, self.auth_token, http_client=self._http)
            client.api.base_url = self.base_url
            self._client = client
        return self._client

    async def send(self, to: str, body: str) -> str:
        """Send one message; return its MessageSid, or raise SendError."""
        fields: dict[str, Any] = {"to": to, "body": body}
        if self.sender.messaging_service_sid:
            fields["messaging_service_sid"] = self.sender.messaging_service_sid
        else:
            fields["from_"] = self.sender.from_number
        try:
            message = await self._ready().messages.create_async(**fields)
        except TwilioException as exc:
            # Twilio's error names the number in some messages: keep only its code and status.
            code = getattr(exc, "code", None)
            status = getattr(exc, "status", None)
            raise SendError(f"Twilio refused the message (status {status}, code {code})") from None
        except (OSError, httpx.HTTPError) as exc:
            raise SendError(f"Twilio cannot be reached ({type(exc).__name__})") from None
        return str(message.sid)

    async def close(self) -> None:
        """Close the connections."""
        if self._http is not None:
            await self._http.close()
            self._http, self._client = None, None
