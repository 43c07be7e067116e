"""Twilio's status callbacks for the messages Puente started: signed, recorded, counted.

Each alert message names this route as its StatusCallback, with the alert and channel in the
query string (Twilio signs the whole URL), so delivery is recorded per alert without keeping
which number a MessageSid went to.
"""

from __future__ import annotations

import json

from prometheus_client import CollectorRegistry, Counter
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.channels.broadcast import EVENTS
from bot.channels.twilio_http import signed_form
from bot.channels.twilio_wire import Signatures
from bot.storage import Store

MAX_FORM_BYTES = 16 * 1024
STATES = frozenset(
    {"queued", "sending", "sent", "delivered", "undelivered", "failed", "read", "accepted"}
)


class StatusCallbacks:
    """The /twilio/status endpoint."""

    def __init__(
        self,
        store: Store,
        auth_token: str,
        public_base_url: str,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.store = store
        self.signatures = Signatures(auth_token)
        self.public_base_url = public_base_url.rstrip("/")
        self.deliveries = Counter(
            "puente_alert_deliveries",
            "Twilio's delivery reports for alert messages, by channel and status",
            ["channel", "status"],
            registry=registry,
        )

    async def endpoint(self, request: Request) -> Response:
        """Record one status callback."""
        params = await signed_form(
            request, self.signatures, self.public_base_url, MAX_FORM_BYTES, "a status callback"
        )
        if isinstance(params, Response):
            return params
        sid, status = params.get("MessageSid", ""), params.get("MessageStatus", "")
        alert = request.query_params.get("alert", "")
        channel = request.query_params.get("channel", "")
        if not sid or status not in STATES or not alert:
            return PlainTextResponse(
                "MessageSid, a known MessageStatus and alert are required", 400
            )
        # Twilio retries a callback it got no answer to: record each status of a message once.
        if await self.store.remember(f"twilio-status:{sid}:{status}", "1") is None:
            self.deliveries.labels(channel, status).inc()
            record = {"alert": alert, "state": f"status:{status}", "channel": channel}
            if params.get("ErrorCode"):
                record["reason"] = params["ErrorCode"]
            await self.store.append(EVENTS, json.dumps(record, sort_keys=True))
        return PlainTextResponse("", 204)
