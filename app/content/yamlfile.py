"""YAML reading that remembers the line of every mapping and key, for error messages."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml

from app.content.errors import Problems

T = TypeVar("T")


class Node(dict[str, Any]):
    """A YAML mapping that knows the line it starts on and the line of each key."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """Return the line of key, or of the mapping when the key is absent."""
        return self.key_lines.get(key, self.line)


class Seq(list[Any]):
    """A YAML sequence that knows the line of each item."""

    line: int
    item_lines: list[int]


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    result = Node()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> Seq:
    result = Seq(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def parse(text: str, path: Path, problems: Problems, line_offset: int = 0) -> Any:
    """Parse YAML text, recording a syntax error with its line instead of raising."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = (mark.line + 1 if mark else 1) + line_offset
        problems.add(path, line, f"invalid YAML: {error.problem or error}")
    except yaml.YAMLError as error:
        problems.add(path, 1 + line_offset, f"invalid YAML: {error}")
    return None


def read(path: Path, problems: Problems) -> Any:
    """Read and parse a YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problems.add(path, 1, f"cannot read file: {error}")
        return None
    return parse(text, path, problems)


class Fields:
    """Typed access to a mapping's fields, recording problems with file and line."""

    def __init__(self, node: Any, path: Path, problems: Problems, what: str, line: int = 1) -> None:
        self.path = path
        self.problems = problems
        self.what = what
        self.ok = isinstance(node, Node)
        self.node: Node = node if isinstance(node, Node) else Node()
        if not self.ok:
            self.node.line = getattr(node, "line", line)
            self.node.key_lines = {}
            problems.add(path, self.node.line, f"{what} must be a mapping of keys to values")

    def line(self, key: str | None = None) -> int:
        """Return the line of a key, or of the mapping itself."""
        return self.node.line_of(key) if key else self.node.line

    def error(self, key: str | None, message: str) -> None:
        """Record a problem at a key's line."""
        self.problems.add(self.path, self.line(key), message)

    def allow_only(self, keys: Iterable[str]) -> None:
        """Reject keys this kind of file does not know (typos would otherwise go unnoticed)."""
        allowed = set(keys)
        for key in self.node:
            if key not in allowed:
                self.error(
                    key,
                    f"unknown key {key!r} in {self.what} (allowed: {', '.join(sorted(allowed))})",
                )

    def get(
        self,
        key: str,
        kind: type[T] | tuple[type, ...],
        default: Any = None,
        *,
        required: bool = False,
    ) -> Any:
        """Return a field of the right type, or record why it is wrong and return default."""
        if key not in self.node or self.node[key] is None:
            if required:
                self.error(None, f"{self.what} is missing required key {key!r}")
            return default
        value = self.node[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python, but `max_attempts: yes` is a mistake, not a number.
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
            self.error(
                key, f"{key!r} must be {_names(kinds)}, got {type(value).__name__} {value!r}"
            )
            return default
        return value

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        """Return a non-empty string field."""
        value = self.get(key, str, default, required=required)
        if required and isinstance(value, str) and not value.strip():
            self.error(key, f"{key!r} must not be empty")
        return str(value) if value is not None else default

    def strings(self, key: str, *, required: bool = False) -> list[str]:
        """Return a list of strings."""
        value = self.get(key, list, [], required=required)
        out: list[str] = []
        for index, item in enumerate(value):
            if not isinstance(item, str):
                line = value.item_lines[index] if isinstance(value, Seq) else self.line(key)
                self.problems.add(self.path, line, f"items of {key!r} must be text, got {item!r}")
            else:
                out.append(item)
        return out

    def items(
        self, key: str, build: Callable[[Any, int], T | None], *, required: bool = False
    ) -> list[T]:
        """Build each item of a list field, with the item's line."""
        value = self.get(key, list, [], required=required)
        out: list[T] = []
        for index, item in enumerate(value):
            line = value.item_lines[index] if isinstance(value, Seq) else self.line(key)
            built = build(item, line)
            if built is not None:
                out.append(built)
        return out


def _names(kinds: tuple[type, ...]) -> str:
    words = {
        str: "text",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a mapping",
        Node: "a mapping",
    }
    return " or ".join(words.get(k, k.__name__) for k in kinds)
