"""Two `puente serve` processes on one Redis answer each user's SMS in the order they were sent.

Order is read from what users see: an answer of 21 one-SMS steps, and MORE after MORE, each
getting the next step. A message handled before an earlier one gets the earlier one's step.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
import time
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from bot.storage import RedisStore, session_key
from tests.conftest import ROOT, add_entries, free_port
from tests.test_serve import PUBLIC, TOKEN, sms_env

SECRET = "a-long-test-session-secret"  # as in sms_env
STEPS = 21
USERS = [f"+1868555031{n}" for n in range(3)]  # Trinidad numbers: no question about the country
MORES = 20


def steps_entry() -> str:
    steps = " ".join(
        f"Step {n:02d}: take the blue form to window {n} and ask the clerk for a dated stamp."
        for n in range(1, STEPS + 1)
    )
    return f"""
    - id: mini-tt-permit-steps
      title: {{en: Work permit renewal, es: Renovar el permiso de trabajo}}
      questions:
        en: [how do i renew my work permit, work permit renewal steps]
        es: [como renuevo mi permiso de trabajo]
      answer:
        en: "{steps}"
        es: "Lleve el formulario azul a la ventanilla."
      sources: [https://example.org/permit]
      reviewed: 2026-10-01
    """


def signed(number: str, sid: str, body: str) -> tuple[dict[str, str], dict[str, str]]:
    params = {"MessageSid": sid, "From": number, "To": "+18685550000", "Body": body}
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + "/sms", params)
    return params, {"X-Twilio-Signature": signature}


def step_of(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    found = re.findall(r"Step (\d\d):", response.text)
    assert len(found) == 1, response.text  # one step per SMS page
    return int(found[0])


async def test_two_processes_on_one_redis_answer_each_users_20_interleaved_sms_in_order(
    redis_url: str, mini: Path, tmp_path: Path
) -> None:
    from redis.asyncio import Redis

    add_entries(mini, "tt/documents.yaml", "documents", steps_entry())
    env = {**sms_env(tmp_path / "unused"), "SESSION_STORE": redis_url, "SMS_MAX_SEGMENTS": "1"}
    ports = [free_port(), free_port()]
    command = [sys.executable, "-m", "bot", "serve", "--knowledge", str(mini), "--port"]
    servers = [
        await asyncio.create_subprocess_exec(
            *command,
            str(port),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for port in ports
    ]
    urls = [f"http://127.0.0.1:{port}/sms" for port in ports]
    keys = [session_key(SECRET, "sms", number) for number in USERS]
    store = RedisStore(redis_url)  # the prefix `puente serve` uses
    client = Redis.from_url(redis_url)
    limits = httpx.Limits(max_connections=200)
    try:
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            deadline = time.monotonic() + 60
            for url in urls:
                while True:
                    assert time.monotonic() < deadline, "puente serve did not start"
                    with contextlib.suppress(httpx.TransportError):
                        if (await http.get(url.replace("/sms", "/healthz"))).status_code == 200:
                            break
                    await asyncio.sleep(0.1)
            for u, number in enumerate(USERS):
                params, headers = signed(number, f"SMq{u}", "how do i renew my work permit")
                assert step_of(await http.post(urls[u % 2], data=params, headers=headers)) == 1
            async with contextlib.AsyncExitStack() as held:
                # An earlier message of each user is still being handled (here, by this test
                # holding their turn), so every MORE below waits in line behind it.
                for key in keys:
                    await held.enter_async_context(store.lock(key))
                sent: list[list[asyncio.Task[httpx.Response]]] = [[] for _ in USERS]
                for n in range(MORES):
                    for u, number in enumerate(USERS):
                        params, headers = signed(number, f"SM{u}x{n}", "MORE")
                        url = urls[(n + u) % 2]  # interleaved between the two processes
                        sent[u].append(
                            asyncio.create_task(http.post(url, data=params, headers=headers))
                        )
                        # Sent once the one before is in line (holder + n + 1 tickets): the
                        # order sent is the order of arrival, not a race between the two.
                        limit = time.monotonic() + 10
                        while await client.llen(f"puente:q:{keys[u]}") < n + 2:
                            assert time.monotonic() < limit, f"MORE {n} of user {u} not in line"
                            await asyncio.sleep(0.005)
            answered = [await asyncio.gather(*tasks) for tasks in sent]
    finally:
        await client.aclose()
        await store.close()
        outputs = []
        for server in servers:
            server.send_signal(signal.SIGTERM)
            outputs.append((await asyncio.wait_for(server.communicate(), 30))[0].decode())
    for u in range(len(USERS)):
        assert [step_of(r) for r in answered[u]] == list(range(2, MORES + 2)), outputs
