"""YAML reading that remembers line numbers, so editors are told exactly where a problem is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

try:  # The C loader is several times faster on a large base; fall back where it is not built.
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _BaseLoader = yaml.SafeLoader


class LineDict(dict[Any, Any]):
    """A mapping that knows the line of each of its keys (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class LineList(list[Any]):
    """A sequence that knows the line of each of its items (1-based)."""

    line: int = 0
    item_lines: list[int]


class _Loader(_BaseLoader):  # type: ignore[valid-type, misc]
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        result = LineDict(super().construct_mapping(node, deep=True))
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, _ in node.value:
            try:
                key = self.construct_object(key_node, deep=True)
                result.key_lines[key] = key_node.start_mark.line + 1
            except TypeError:  # an unhashable key is reported by the caller as a bad key
                continue
        return result

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:
        result = LineList(super().construct_sequence(node, deep=True))
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        # An impossible date (2026-13-45) stays text, so the checker can name it politely.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return str(node.value)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a look) in a content file, told as `path:line: message`."""

    path: str
    line: int
    message: str
    severity: str = "error"
    code: str = ""  # what kind of problem, for reports that act on one kind ("no-sources")

    def __str__(self) -> str:
        label = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.path}:{self.line}: {label}{self.message}"


class YamlError(Exception):
    """A file that could not be parsed at all."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def load_yaml(path: Path, shown_as: str | None = None) -> Any:
    """Parse one file; raise YamlError naming the line of a syntax error."""
    name = shown_as or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(Problem(name, 1, f"not UTF-8 text ({exc.reason})")) from exc
    except OSError as exc:
        raise YamlError(Problem(name, 1, f"cannot be read: {exc.strerror}")) from exc
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        reason = exc.problem or exc.context or "invalid YAML"
        opened = exc.context_mark.line + 1 if exc.context_mark and exc.problem_mark else line
        if opened != line:
            reason += f" ({exc.context} that starts on line {opened})"
        raise YamlError(Problem(name, line, f"YAML syntax: {reason}")) from exc
    except yaml.YAMLError as exc:
        raise YamlError(Problem(name, 1, f"YAML: {exc}")) from exc


def line_of(container: Any, key: Any = None, default: int = 1) -> int:
    """The line of `key` in a mapping, of item `key` in a list, or of the container itself."""
    if isinstance(container, LineDict):
        if key is not None and key in container.key_lines:
            return container.key_lines[key]
        return container.line or default
    if isinstance(container, LineList):
        if isinstance(key, int) and 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line or default
    return default
