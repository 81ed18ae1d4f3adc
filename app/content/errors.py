"""Content errors that name the file and the line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a content file."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """The content failed validation; every problem is listed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class Problems:
    """Collects problems while loading so an author sees all of them at once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.items: list[Problem] = []

    def add(self, path: Path, line: int, message: str) -> None:
        """Record a problem at a line of a file."""
        try:
            shown = path.relative_to(self.root)
        except ValueError:
            shown = path
        self.items.append(Problem(shown, max(line, 1), message))

    def raise_if_any(self) -> None:
        """Raise ContentError when anything was recorded."""
        if self.items:
            raise ContentError(self.items)
