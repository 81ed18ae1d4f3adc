"""Drawing a paper from a quiz's bank: reproducible from the seed and the earlier papers."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.content.questions import Question, Quiz


@dataclass(frozen=True)
class PaperEntry:
    """One question on a paper with its options in the order shown."""

    question: Question
    options: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """Return what the attempt stores for this entry."""
        return {
            "id": self.question.id,
            "version": self.question.version,
            "options": list(self.options),
        }


def last_seen(history: Sequence[Sequence[str]]) -> dict[str, int]:
    """Map each question id to the index of the latest earlier paper that showed it."""
    seen: dict[str, int] = {}
    for index, question_ids in enumerate(history):
        for question_id in question_ids:
            seen[question_id] = index
    return seen


def _pick(
    pool: list[Question], count: int, seen: dict[str, int], rng: random.Random
) -> list[Question]:
    """Take `count` from the pool: unseen questions first, then the least recently seen."""
    if not seen:
        return rng.sample(pool, count)
    tiers: dict[int, list[Question]] = {}
    for question in pool:
        tiers.setdefault(seen.get(question.id, -1), []).append(question)
    picked: list[Question] = []
    for tier in sorted(tiers):  # -1 (never shown) first, then the oldest paper first
        wanted = count - len(picked)
        if wanted <= 0:
            break
        members = tiers[tier]
        picked.extend(rng.sample(members, wanted) if len(members) > wanted else members)
    return picked


def draw_paper(quiz: Quiz, seed: int, history: Sequence[Sequence[str]] = ()) -> list[PaperEntry]:
    """Draw questions by the quiz's rules, then shuffle their order and their options.

    `history` lists the question ids of the trainee's earlier papers of this quiz, oldest
    first: each rule then prefers questions never shown, then those shown longest ago, so a
    retake is mostly new questions. Without history the draw is the plain random draw.
    """
    # Not for secrets: the seed only makes a paper reproducible.
    rng = random.Random(seed)  # noqa: S311
    seen = last_seen(history)
    if quiz.draw:
        chosen: list[Question] = []
        taken: set[str] = set()
        for rule in quiz.draw:
            pool = [
                q
                for q in quiz.questions
                if q.id not in taken and (rule.tag is None or rule.tag in q.tags)
            ]
            picked = _pick(pool, rule.count, seen, rng)
            chosen.extend(picked)
            taken.update(q.id for q in picked)
    else:
        chosen = list(quiz.questions)
    rng.shuffle(chosen)
    entries = []
    for question in chosen:
        options = list(question.option_ids)
        # True/false has no options to shuffle; ordering must be shuffled or it answers itself.
        rng.shuffle(options)
        if question.type == "ordering" and tuple(options) == tuple(question.answer):
            options = options[1:] + options[:1]
        entries.append(PaperEntry(question, tuple(options)))
    return entries
