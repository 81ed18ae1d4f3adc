"""Per-session random values, drawn deterministically from the session's recorded seed."""

from __future__ import annotations

import random
import secrets
import string
from collections.abc import Iterable, Mapping

from markupsafe import Markup, escape

from app.content.labs import ValueSpec

TOKEN_LETTERS = string.ascii_lowercase
TOKEN_ALPHABET = string.ascii_lowercase + string.digits


def new_seed() -> int:
    """Return a fresh seed for a session."""
    return secrets.randbits(48)


def draw_values(specs: Iterable[ValueSpec], seed: int) -> dict[str, str | int]:
    """Draw every value from the seed, so the same seed always gives the same values."""
    # Reproducibility from the recorded seed is the point here; the values are not secrets.
    rng = random.Random(seed)  # noqa: S311
    values: dict[str, str | int] = {}
    for spec in specs:
        if spec.kind == "token":
            # A leading letter keeps tokens usable as SQL identifiers and file names.
            first = rng.choice(TOKEN_LETTERS)
            values[spec.name] = first + "".join(
                rng.choice(TOKEN_ALPHABET) for _ in range(spec.length - 1)
            )
        elif spec.kind == "int":
            values[spec.name] = rng.randint(spec.minimum, spec.maximum)
        else:
            values[spec.name] = rng.choice(spec.options)
    return values


def script_env(values: Mapping[str, object], session: str, host: str) -> dict[str, str]:
    """Return the LAB_* environment every lab script receives."""
    env = {f"LAB_{name.upper()}": str(value) for name, value in values.items()}
    env["LAB_SESSION"] = session
    env["LAB_HOST"] = host
    return env


def fill(text: str, values: Mapping[str, object], session: str, host: str) -> str:
    """Replace {name} placeholders with the session's values (other braces are left alone)."""
    known = {**{k: str(v) for k, v in values.items()}, "session": session, "host": host}
    for name, value in known.items():
        text = text.replace("{" + name + "}", value)
    return text


def fill_html(html: str, values: Mapping[str, object], session: str, host: str) -> Markup:
    """Fill {name} placeholders in rendered instructions with the session's values, escaped."""
    escaped = {name: str(escape(str(value))) for name, value in values.items()}
    return Markup(fill(html, escaped, session, host))  # noqa: S704 - html is our rendered Markdown
