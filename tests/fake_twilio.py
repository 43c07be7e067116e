"""A small Twilio Messages API for the tests: it accepts what Puente sends and records it.

Anything it does not expect (another path, wrong credentials, a message without To, a template
without variables) is recorded as unexpected, and the tests fail on it.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

ACCOUNT = "AC" + "0" * 31 + "1"
TOKEN = "twilio-test-auth-token"
SMS_FROM = "+18685550000"
WHATSAPP_FROM = "whatsapp:+14155238886"


@dataclass
class Twilio:
    """Records every accepted message as its form fields."""

    messages: list[dict[str, str]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    too_many: int = 0  # answer this many requests with 429 first
    refuse: dict[str, int] = field(default_factory=dict)  # To -> Twilio error code (400)
    delay: float = 0.0  # seconds each request takes
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def to(self, address: str) -> list[dict[str, str]]:
        """Messages sent to one address."""
        return [m for m in self.messages if m["To"] == address]

    async def wait_messages(self, count: int, seconds: float = 10.0) -> list[dict[str, str]]:
        """Wait until `count` messages were accepted."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} Twilio messages, got {self.messages}")

    def app(self) -> Starlette:
        expected_auth = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()

        async def create(request: Request) -> Response:
            if request.path_params["account"] != ACCOUNT:
                self.unexpected.append(f"account {request.path_params['account']}")
                return JSONResponse({"code": 20404, "message": "not found"}, 404)
            if request.headers.get("authorization") != expected_auth:
                self.unexpected.append("wrong credentials")
                return JSONResponse({"code": 20003, "message": "Authenticate"}, 401)
            form = {k: str(v) for k, v in (await request.form()).items()}
            if self.delay:
                await asyncio.sleep(self.delay)
            problem = _problem(form)
            if problem:
                self.unexpected.append(problem)
                return JSONResponse({"code": 21602, "message": problem}, 400)
            if self.too_many > 0:
                self.too_many -= 1
                return JSONResponse(
                    {"code": 20429, "message": "Too Many Requests"}, 429, {"Retry-After": "1"}
                )
            if form["To"] in self.refuse:
                code = self.refuse[form["To"]]
                return JSONResponse({"code": code, "message": "refused", "status": 400}, 400)
            self.messages.append(form)
            sid = f"SM{next(self._ids):032x}"
            return JSONResponse({"sid": sid, "status": "queued", "to": form["To"]}, 201)

        async def other(request: Request) -> Response:
            self.unexpected.append(f"{request.method} {request.url.path}")
            return JSONResponse({"code": 20404, "message": "not found"}, 404)

        return Starlette(
            routes=[
                Route("/2010-04-01/Accounts/{account}/Messages.json", create, methods=["POST"]),
                Route("/{path:path}", other, methods=["GET", "POST", "PUT", "DELETE"]),
            ]
        )


def _problem(form: dict[str, Any]) -> str:
    if not form.get("To"):
        return "no To"
    sender = form.get("From") or form.get("MessagingServiceSid")
    if not sender:
        return "no From"
    if form["To"].startswith("whatsapp:") != str(sender).startswith("whatsapp:"):
        return f"From {sender} cannot send to {form['To']}"
    if "ContentSid" in form:
        if "Body" in form:
            return "Body and ContentSid together"
        try:
            json.loads(form.get("ContentVariables", ""))
        except ValueError:
            return "ContentSid without JSON ContentVariables"
    elif not form.get("Body"):
        return "no Body"
    return ""
