"""Real HTTP servers for the tests: uvicorn in this event loop, or `puente serve` subprocesses,
on free localhost ports."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tests.conftest import ROOT, free_port


@contextlib.asynccontextmanager
async def running(app: Any) -> AsyncIterator[str]:
    """Serve `app` over real HTTP; yield its base URL; shut it down gracefully after."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started or task.done():
            break
        await asyncio.sleep(0.02)
    if not server.started:
        task.cancel()
        raise RuntimeError(f"server on port {port} did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


class Serve:
    """A `puente serve` subprocess on a free port; its output is kept for assertions."""

    def __init__(self, env: dict[str, str], knowledge: Path) -> None:
        self.env, self.knowledge = env, knowledge
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None
        self.output = b""

    async def start(self, ready: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Start it and wait, with a deadline, until /healthz answers (and `ready` holds)."""
        self.process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "serve", "--port", str(self.port)),
            *("--knowledge", str(self.knowledge)),
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        self._reading = asyncio.create_task(self._read())
        deadline = time.monotonic() + 30
        async with httpx.AsyncClient() as http:
            while True:
                assert self.process.returncode is None, self.output.decode()
                assert time.monotonic() < deadline, "puente serve did not start"
                with contextlib.suppress(httpx.TransportError):
                    health = await http.get(self.url + "/healthz")
                    if ready is None or ready(health.json()):
                        return
                await asyncio.sleep(0.1)

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while line := await self.process.stdout.readline():
            self.output += line

    async def stop(self, sig: int = signal.SIGTERM) -> str:
        """Send `sig` (SIGKILL for a crash) and wait for the process to end; its output."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(sig)
            await asyncio.wait_for(self.process.wait(), 30)
            await asyncio.wait_for(self._reading, 10)
        return self.output.decode()
