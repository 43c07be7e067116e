"""Shared fixtures: real servers started on free localhost ports, and the shipped data."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A copy of tests/data/mini that the test may change."""
    target = tmp_path / "mini"
    shutil.copytree(DATA / "mini", target)
    return target


def add_entries(root: Path, name: str, topic: str, entries: str) -> None:
    """Append entries (YAML list items, any indentation) to a topic file, creating it if needed."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else f"topic: {topic}\nentries:\n"
    items = textwrap.indent(textwrap.dedent(entries), "  ")
    path.write_text(text.rstrip("\n") + "\n" + items, encoding="utf-8")


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (name → text, dedented) under `root`, a knowledge folder made from scratch."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def need_program(name: str) -> str:
    """The path of a server program; skip (or fail, in CI) when it is not installed."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install {name})"
        if os.environ.get("PUENTE_REQUIRE_SERVERS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free localhost port, for the whole test session."""
    program = need_program("redis-server")
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [
            program,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the matching accuracy per tag after every run, not only on failure."""
    from tests.matching.test_accuracy import REPORTS

    if REPORTS:
        terminalreporter.section("matching accuracy per tag")
        for block in REPORTS:
            terminalreporter.write_line(block)


class FakeClock:
    """A clock the test moves by hand, so expiry is tested without sleeping."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
        self.now += seconds
