"""Request bodies read with a limit, for every route: a sender cannot make us hold or parse more.

Content-Length can be absent (chunked) or false, so the limit is enforced while reading, before
any parsing; forms and JSON are then parsed with bounds of their own.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

MAX_FIELDS = 64  # a Twilio webhook has about 20
MAX_DEPTH = 32  # a Telegram update nests about 6 deep


class TooLarge(Exception):
    """The body is over the route's limit."""


class Malformed(Exception):
    """The body is not what the route reads."""


async def read(request: Request, limit: int) -> bytes:
    """The whole body, or TooLarge as soon as it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def form(body: bytes) -> list[tuple[str, str]]:
    """An urlencoded form's fields in order, parsed once, at most MAX_FIELDS of them."""
    try:
        return parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise Malformed(str(exc)) from None


def json_object(body: bytes) -> dict[str, Any]:
    """A JSON object nested at most MAX_DEPTH deep."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:  # brackets outside strings, counted before the parser recurses on them
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                raise Malformed("nested too deep")
        elif byte in (0x5D, 0x7D):
            depth -= 1
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise Malformed(str(exc)) from None
    if not isinstance(data, dict):
        raise Malformed("expected a JSON object")
    return data
