"""Drawing a paper from a quiz's bank: reproducible from the seed stored with the attempt."""

from __future__ import annotations

import random
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


def draw_paper(quiz: Quiz, seed: int) -> list[PaperEntry]:
    """Draw questions by the quiz's rules, then shuffle their order and their options."""
    # Not for secrets: the seed only makes a paper reproducible.
    rng = random.Random(seed)  # noqa: S311
    if quiz.draw:
        chosen: list[Question] = []
        taken: set[str] = set()
        for rule in quiz.draw:
            pool = [
                q
                for q in quiz.questions
                if q.id not in taken and (rule.tag is None or rule.tag in q.tags)
            ]
            picked = rng.sample(pool, rule.count)
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
