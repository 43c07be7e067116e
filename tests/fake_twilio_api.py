"""A local Twilio REST API for the tests: only the Messages endpoint, recording what it is sent.

Anything else (another path, a wrong account or auth, a message without a body or sender) is
recorded as unexpected, answered with Twilio's error shape, and the tests fail on it.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ACCOUNT = "AC" + "0" * 31 + "1"
AUTH = "twilio-test-auth-token"


@dataclass
class TwilioApi:
    """Records every message as its form fields."""

    messages: list[dict[str, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    failing: bool = False  # answer 500, as during an outage
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def to(self, number: str) -> list[str]:
        """The bodies sent to one number."""
        return [m["Body"] for m in self.messages if m.get("To") == number]

    async def wait_to(self, number: str, count: int, seconds: float = 10.0) -> list[str]:
        """Wait until `count` messages went to `number`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(self.to(number)) >= count:
                return self.to(number)
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} SMS to {number}, got {self.to(number)}")

    def app(self) -> Starlette:
        async def messages(request: Request) -> JSONResponse:
            expected = "Basic " + base64.b64encode(f"{ACCOUNT}:{AUTH}".encode()).decode()
            if request.path_params["account"] != ACCOUNT:
                return self._refuse(f"wrong account {request.path_params['account']}", 404)
            if request.headers.get("authorization") != expected:
                return self._refuse("wrong credentials", 401)
            form = {k: str(v) for k, v in (await request.form()).items()}
            if not form.get("To") or not form.get("Body"):
                return self._refuse(f"message without To or Body: {sorted(form)}", 400)
            if not (form.get("From") or form.get("MessagingServiceSid")):
                return self._refuse("message without From or MessagingServiceSid", 400)
            if self.failing:
                return JSONResponse({"code": 20500, "message": "down", "status": 500}, 500)
            self.messages.append(form)
            sid = f"SM{next(self._ids):032d}"
            return JSONResponse(
                {
                    "sid": sid,
                    "account_sid": ACCOUNT,
                    "to": form["To"],
                    "body": form["Body"],
                    "status": "queued",
                },
                201,
            )

        async def anything(request: Request) -> JSONResponse:
            return self._refuse(f"{request.method} {request.url.path}", 404)

        return Starlette(
            routes=[
                Route("/2010-04-01/Accounts/{account}/Messages.json", messages, methods=["POST"]),
                Route("/{path:path}", anything, methods=["GET", "POST", "PUT", "DELETE"]),
            ]
        )

    def _refuse(self, what: str, status: int) -> JSONResponse:
        self.unexpected.append(what)
        return JSONResponse({"code": 20000 + status, "message": what, "status": status}, status)


def fields(message: dict[str, Any]) -> dict[str, Any]:
    """A recorded message's fields, for assertions."""
    return dict(message)
