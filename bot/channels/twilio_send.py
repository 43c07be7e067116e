"""Twilio's Messages REST API for broadcasts: alerts by SMS and WhatsApp, with templates.

Replies to a user's message go back as TwiML; a message nobody asked for right now needs the
REST API. One call: POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth. It is made
with httpx (asynchronous, one connection pool) rather than twilio's client, whose requests are
blocking unless aiohttp is brought in, and whose address cannot be pointed at a local test
server without reaching into its internals. The sender is chosen by the recipient: a
`whatsapp:+…` address goes from the WhatsApp sender, any other from the SMS one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import httpx

API = "https://api.twilio.com"


class TwilioError(Exception):
    """Twilio refused the message, or could not be reached."""

    def __init__(
        self, status: int, code: int | None, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"Twilio {status} {code or ''}: {message}".strip())
        self.status = status  # the HTTP status; 0 when Twilio could not be reached
        self.code = code  # Twilio's error code, e.g. 21610 (the recipient said STOP)
        self.retry_after = retry_after

    @property
    def final(self) -> bool:
        """Retrying cannot help: the message itself was refused."""
        return 400 <= self.status < 500 and self.status != 429


# Twilio's codes for "this recipient cannot be messaged": unsubscribed (STOP), not reachable.
UNREACHABLE = frozenset({21610, 21211, 21614, 63003, 63024})


class TwilioRest:
    """Sends messages through one Twilio account."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        sms_from: str | None = None,
        whatsapp_from: str | None = None,
        base_url: str = API,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.sms_from = sms_from
        self.whatsapp_from = whatsapp_from
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._client = client or httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        self._auth = httpx.BasicAuth(account_sid, auth_token)

    def sender(self, to: str) -> str | None:
        """The From for `to`: the WhatsApp sender for whatsapp: addresses, else the SMS one."""
        return self.whatsapp_from if to.startswith("whatsapp:") else self.sms_from

    async def send(
        self,
        to: str,
        body: str,
        *,
        content_sid: str | None = None,
        variables: Mapping[str, str] | None = None,
        status_callback: str | None = None,
    ) -> str:
        """Send one message (a template with `content_sid`); return its MessageSid."""
        sender = self.sender(to)
        if not sender:
            raise TwilioError(0, None, f"no sender configured for {to.split(':')[0]} messages")
        form: dict[str, str] = {"To": to}
        # A Messaging Service (MG…) picks the number itself; otherwise From is the number.
        form["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
        if content_sid:
            form["ContentSid"] = content_sid
            if variables:
                form["ContentVariables"] = json.dumps(dict(variables), ensure_ascii=False)
        else:
            form["Body"] = body
        if status_callback:
            form["StatusCallback"] = status_callback
        try:
            response = await self._client.post(self.url, data=form, auth=self._auth)
        except httpx.HTTPError as exc:
            raise TwilioError(0, None, f"cannot reach Twilio: {type(exc).__name__}") from None
        if response.status_code in (200, 201):
            return str(response.json()["sid"])
        raise _error(response)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


def _error(response: httpx.Response) -> TwilioError:
    try:
        data = response.json()
    except ValueError:
        data = {}
    retry = response.headers.get("retry-after")
    return TwilioError(
        response.status_code,
        data.get("code") if isinstance(data.get("code"), int) else None,
        str(data.get("message") or response.reason_phrase),
        float(retry) if retry and retry.replace(".", "", 1).isdigit() else None,
    )
