"""The bare ceiling: a Starlette app that only does what any Twilio webhook must.

    python -m benchmarks.reference_app PORT

It parses the form (Starlette's, python-multipart), checks the signature with twilio's own
`RequestValidator` and returns fixed TwiML, under the same uvicorn settings as `puente serve`.
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from benchmarks.sms_bench import PUBLIC, TOKEN

TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>ok</Message></Response>'


def app() -> Starlette:
    """The reference app."""
    validator = RequestValidator(TOKEN)

    async def sms(request: Request) -> Response:
        form = await request.form()
        signature = request.headers.get("x-twilio-signature", "")
        if not validator.validate(PUBLIC + "/sms", dict(form), signature):
            return PlainTextResponse("invalid signature", 403)
        return Response(TWIML, media_type="application/xml")

    return Starlette(routes=[Route("/sms", sms, methods=["POST"])])


if __name__ == "__main__":
    uvicorn.run(
        app(),
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        access_log=False,
        limit_concurrency=500,
        timeout_keep_alive=5,
    )
