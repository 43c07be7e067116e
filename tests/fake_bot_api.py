"""A small Telegram Bot API server for the tests: it answers what Puente calls and records it.

Anything it does not expect is recorded as unexpected, and the tests fail on it: a fake that
answers silently would hide mistakes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "123456:TEST-token"
ME = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Puente",
    "username": "puente_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
TRUE_METHODS = {
    "answerCallbackQuery",
    "setWebhook",
    "deleteWebhook",
    "setMyCommands",
    "closeForumTopic",
}


@dataclass
class BotApi:
    """Records every call as (method, params)."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)  # served by getUpdates
    down: bool = False  # sendMessage fails as when Telegram's servers are out
    refused: int = 0  # how many sendMessage calls failed while down
    delay: float = 0.0  # seconds sendMessage takes to answer; the message counts as sent at once
    topics: dict[int, str] = field(default_factory=dict)  # forum topics made: thread → name
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _threads: itertools.count[int] = field(default_factory=lambda: itertools.count(5001))

    def in_topic(self, thread: int) -> list[str]:
        """The texts the bot sent in one forum topic."""
        return [
            p["text"]
            for m, p in self.calls
            if m == "sendMessage" and int(p.get("message_thread_id") or 0) == thread
        ]

    async def wait_topic(self, seconds: float = 10.0) -> int:
        """Wait for a forum topic to be created; return its thread id."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.topics:
                return max(self.topics)
            await asyncio.sleep(0.02)
        raise AssertionError(f"no forum topic was created; calls: {[m for m, _ in self.calls]}")

    async def wait_in_topic(self, thread: int, needle: str, seconds: float = 10.0) -> list[str]:
        """Wait until a message containing `needle` was sent in the topic."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(needle in text for text in self.in_topic(thread)):
                return self.in_topic(thread)
            await asyncio.sleep(0.02)
        raise AssertionError(f"'{needle}' not in topic {thread}: {self.in_topic(thread)}")

    def closed(self, thread: int) -> bool:
        """Whether closeForumTopic was called for the topic."""
        return any(
            m == "closeForumTopic" and int(p["message_thread_id"]) == thread for m, p in self.calls
        )

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long polling as Telegram does it: updates from `offset` on, or wait for some."""
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 2.0)  # short, so a stop is quick
        deadline = time.monotonic() + timeout
        while True:
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if pending or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(0.02)

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """sendMessage calls, optionally to one chat."""
        return [
            p
            for m, p in self.calls
            if m == "sendMessage" and (chat_id is None or int(p["chat_id"]) == chat_id)
        ]

    async def wait_sent(
        self, count: int, chat_id: int | None = None, seconds: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until `count` messages were sent (to `chat_id`)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if len(self.sent(chat_id)) >= count:
                return self.sent(chat_id)
            await asyncio.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {self.sent(chat_id)}")

    def app(self) -> Starlette:
        async def method(request: Request) -> JSONResponse:
            token, name = request.path_params["token"], request.path_params["method"]
            params = await _params(request)
            if token != TOKEN:
                self.unexpected.append(f"wrong token {token}")
                return JSONResponse(
                    {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
                )
            self.calls.append((name, params))
            if name == "getMe":
                return JSONResponse({"ok": True, "result": ME})
            if name == "sendMessage" and self.down:
                self.calls.pop()
                self.refused += 1
                return JSONResponse(
                    {"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502
                )
            if name == "sendMessage":
                if self.delay:
                    await asyncio.sleep(self.delay)
                chat_id = int(params["chat_id"])
                chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
                result = {
                    "message_id": next(self._ids),
                    "date": int(time.time()),
                    "chat": chat,
                    "text": params.get("text", ""),
                }
                thread = params.get("message_thread_id")
                if thread is not None:
                    if int(thread) not in self.topics:
                        self.unexpected.append(f"sendMessage to unknown topic {thread}")
                    result |= {"message_thread_id": int(thread), "is_topic_message": True}
                return JSONResponse({"ok": True, "result": result})
            if name == "createForumTopic":
                if int(params["chat_id"]) > 0 or not params.get("name"):
                    self.unexpected.append(f"createForumTopic {params}")
                thread = next(self._threads)
                self.topics[thread] = str(params["name"])
                topic = {"message_thread_id": thread, "name": params["name"], "icon_color": 7322096}
                return JSONResponse({"ok": True, "result": topic})
            if name == "getUpdates":
                return JSONResponse({"ok": True, "result": await self._get_updates(params)})
            if name in TRUE_METHODS:
                return JSONResponse({"ok": True, "result": True})
            self.unexpected.append(name)
            return JSONResponse({"ok": False, "error_code": 404, "description": "unexpected"}, 404)

        return Starlette(routes=[Route("/bot{token}/{method}", method, methods=["POST", "GET"])])


async def _params(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        return dict(json.loads(body)) if body else {}
    form = await request.form()
    params: dict[str, Any] = {}
    for key, value in form.items():
        text = str(value)
        try:
            params[key] = json.loads(text) if text[:1] in "[{" else text
        except ValueError:
            params[key] = text
    return params
