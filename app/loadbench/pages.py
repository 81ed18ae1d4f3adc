"""What the load bench reads from the platform's HTML: the CSRF token, a quiz paper's fields,
and where a lab page opens its terminal."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from html.parser import HTMLParser

ANSWER_PREFIX = "q-"  # the paper's answer fields (app.quizzes.forms.ANSWER_PREFIX)
PAPER_FORM = "paper"


@dataclass
class Field:
    """One answer field of a quiz paper: its input type and the values it offers, in order."""

    kind: str
    values: list[str] = field(default_factory=list)


@dataclass
class PageFacts:
    """The parts of a page the bench acts on."""

    csrf_token: str | None = None
    save_url: str | None = None
    paper: dict[str, Field] = field(default_factory=dict)
    socket_path: str | None = None
    socket_origin: str | None = None


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.facts = PageFacts()
        self.form: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "meta" and found.get("name") == "csrf-token":
            self.facts.csrf_token = found.get("content") or None
        elif tag == "form":
            self.form = found.get("id")
            if self.form == PAPER_FORM:
                self.facts.save_url = found.get("data-save") or None
        elif tag == "input" and self.form == PAPER_FORM:
            self._answer_input(found)
        elif tag == "input" and found.get("name") == "csrf_token" and not self.facts.csrf_token:
            self.facts.csrf_token = found.get("value") or None
        elif "sandbox-terminal" in found.get("class", "").split():
            self.facts.socket_path = found.get("data-socket") or None
            self.facts.socket_origin = found.get("data-socket-origin") or None

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None

    def _answer_input(self, attrs: dict[str, str]) -> None:
        name = attrs.get("name", "")
        if not name.startswith(ANSWER_PREFIX):
            return
        kind = attrs.get("type", "text")
        entry = self.facts.paper.setdefault(name, Field(kind))
        if kind in ("radio", "checkbox", "hidden"):
            entry.values.append(attrs.get("value", ""))


def read_page(html: str) -> PageFacts:
    """Return the CSRF token, the quiz paper and the terminal's socket found in a page."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.facts


def answers(paper: dict[str, Field], rng: random.Random) -> list[tuple[str, str]]:
    """Return form pairs answering every question of a paper as a trainee clicking around would.

    One option of a single choice or true/false question, one or two options of a multiple
    choice question, the steps of an ordering question in a shuffled order, a number or a word
    in a text field. Every value is one the paper offered, so the server never sees a forgery.
    """
    pairs: list[tuple[str, str]] = []
    for name, entry in sorted(paper.items()):
        if entry.kind == "radio" and entry.values:
            pairs.append((name, rng.choice(entry.values)))
        elif entry.kind == "checkbox" and entry.values:
            picked = rng.sample(entry.values, k=min(len(entry.values), rng.randint(1, 2)))
            pairs += [(name, value) for value in entry.values if value in picked]
        elif entry.kind == "hidden" and entry.values:
            steps = list(entry.values)
            rng.shuffle(steps)
            pairs += [(name, value) for value in steps]
        elif entry.kind != "hidden":
            pairs.append((name, str(rng.randint(1, 500)) if rng.random() < 0.5 else "nginx"))
    return pairs
