"""The packages of bot/ form layers, and imports only point down: a newcomer can trust the map.

Every module under bot/ is walked (no hand-kept list): a module added in a new place fails here
until it is given a layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parent.parent / "bot"

# Lowest first. A module may import its own layer and the layers before it, never after.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.clock", "bot.settings", "bot.normalise", "bot.hours"),
    ("bot.storage",),
    ("bot.content",),
    ("bot.matching",),
    ("bot.library",),
    ("bot.conversation",),
    ("bot.channels",),
    ("bot.reports",),
    ("bot.web", "bot.wiring"),
    ("bot.cli", "bot.__main__", "bot"),
)
# Vendors of the edge: only channels and the top may speak to them.
EDGE_LIBRARIES = ("telegram", "twilio", "starlette", "uvicorn", "httpx")
EDGE_LAYER = 6


def _module(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    for number, names in enumerate(LAYERS):
        if module in names or any(module.startswith(name + ".") for name in names if name != "bot"):
            return number
    raise AssertionError(f"{module} has no layer in tests/test_layers.py: give it one")


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def _modules() -> list[Path]:
    return sorted(BOT.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    for path in _modules():
        _layer(_module(path))


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for path in _modules():
        here = _module(path)
        for name in _imports(path):
            if name == "bot" or name.startswith("bot."):
                if _layer(name) > _layer(here):
                    wrong.append(f"{here} imports {name}")
            elif name.split(".")[0] in EDGE_LIBRARIES and _layer(here) < EDGE_LAYER:
                wrong.append(f"{here} imports the channel library {name}")
    assert not wrong, "\n".join(wrong)


def test_the_walk_sees_every_layer() -> None:
    # A walk that found nothing would pass the test above for nothing.
    seen = {_layer(_module(path)) for path in _modules()}
    assert seen == set(range(len(LAYERS)))
