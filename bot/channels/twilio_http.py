"""A Twilio webhook's form, read within its limit and signed, or the reply that refuses it."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bot.channels import bodies
from bot.channels.twilio_wire import Signatures

log = logging.getLogger(__name__)


async def signed_form(
    request: Request, signatures: Signatures, public_base_url: str, limit: int, what: str
) -> dict[str, str] | Response:
    """The form's fields if Twilio signed them for the public URL; else 413, 400 or 403."""
    try:
        fields = bodies.form(await bodies.read(request, limit))
    except bodies.TooLarge:
        return PlainTextResponse("request too large", 413)
    except bodies.Malformed:  # the sender's mistake, not ours
        return PlainTextResponse("malformed form body", 400)
    url = public_base_url + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    signature = request.headers.get("x-twilio-signature", "")
    if not signature or not signatures.valid(url, fields, signature):
        log.warning("rejected %s with a missing or wrong signature", what)
        return PlainTextResponse("invalid signature", 403)
    return dict(fields)
