"""How far guessing gets: Monte Carlo trainees against the real draw, grader and review policy.

Every simulated attempt draws its paper with `paper.draw_paper` (earlier papers as history, so
a retake prefers unseen questions), is graded by `grading.grade`, passes as `services` decides,
and learns between attempts only what `review.review_level` lets the review show.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.content.questions import Question, Quiz
from app.content.quiz_lint import text_length
from app.quizzes import grading
from app.quizzes.paper import PaperEntry, draw_paper
from app.quizzes.review import ANSWERS, WRONG, is_finished, review_level

TRIALS = 2000
SEED = 1
UNLIMITED_CAP = 3  # attempts simulated for a quiz that allows any number
KNOWLEDGE = {"know_60": 0.6, "know_90": 0.9}
# What the content must meet (docs/authoring.md, "Quizzes").
DAY_TEST_WISE_MAX = 0.05  # a zero-knowledge test-wise trainee, within the allowed attempts
FINAL_TEST_WISE_MAX = 0.005
FINAL_KNOW_60_MAX = 0.10  # per attempt
FINAL_KNOW_90_MIN = 0.90  # per attempt


@dataclass
class Memory:
    """What a trainee learned about questions from earlier reviews."""

    known: dict[str, Any] = field(default_factory=dict)  # question id -> an answer marked right
    excluded: dict[str, set[str]] = field(default_factory=dict)  # options shown to be wrong


@dataclass(frozen=True)
class Figures:
    """The simulated pass probabilities of one quiz."""

    quiz_id: str
    attempts: int
    trials: int
    p_pass_test_wise: float  # within the allowed attempts
    p_pass_random: float  # within the allowed attempts
    p_pass_test_wise_first: float  # on the first attempt
    per_attempt: dict[str, float]  # know_60, know_90: on one attempt

    def as_json(self) -> dict[str, Any]:
        """Return the figures keyed as `academy bench guessing --json` prints them."""
        return {
            "attempts": self.attempts,
            "trials": self.trials,
            "p_pass_test_wise": self.p_pass_test_wise,
            "p_pass_test_wise_first_attempt": self.p_pass_test_wise_first,
            "p_pass_random": self.p_pass_random,
            **{f"p_pass_{name}": value for name, value in self.per_attempt.items()},
        }

    def misses(self, is_assessment: bool) -> list[str]:
        """Return the targets these figures miss, in words."""
        found = []
        limit = FINAL_TEST_WISE_MAX if is_assessment else DAY_TEST_WISE_MAX
        if self.p_pass_test_wise > limit:
            found.append(
                f"{self.quiz_id}: a test-wise guesser passes {self.p_pass_test_wise:.2%} "
                f"within {self.attempts} attempt(s) (at most {limit:.1%})"
            )
        if is_assessment:
            know_60, know_90 = self.per_attempt["know_60"], self.per_attempt["know_90"]
            if know_60 > FINAL_KNOW_60_MAX:
                found.append(
                    f"{self.quiz_id}: a trainee who knows 60% passes {know_60:.1%} per attempt "
                    f"(at most {FINAL_KNOW_60_MAX:.0%})"
                )
            if know_90 < FINAL_KNOW_90_MIN:
                found.append(
                    f"{self.quiz_id}: a trainee who knows 90% passes {know_90:.1%} per attempt "
                    f"(at least {FINAL_KNOW_90_MIN:.0%})"
                )
        return found


def option_lengths(question: Question) -> dict[str, int]:
    """Return the visible length of each option, as the cue linter measures it."""
    return {option.id: text_length(option.text) for option in question.options}


def bank_lengths(quiz: Quiz) -> dict[str, dict[str, int]]:
    """Return the option lengths of every question of the bank, by question id."""
    return {question.id: option_lengths(question) for question in quiz.questions}


class Guesser:
    """Answers questions from cues alone: the longest option, the bank's usual true/false key,
    the longer half of a multiple-select question, and whatever earlier reviews showed."""

    def __init__(
        self, quiz: Quiz, rng: random.Random, lengths: dict[str, dict[str, int]] | None = None
    ) -> None:
        keys = [q.answer for q in quiz.questions if q.type == "truefalse"]
        self.truefalse = sum(1 for k in keys if k) >= sum(1 for k in keys if not k)
        self.rng = rng
        self.lengths = lengths if lengths is not None else bank_lengths(quiz)

    def answer(self, entry: PaperEntry, memory: Memory) -> Any:
        """Return the answer a test-wise trainee gives, in the grader's canonical form."""
        question = entry.question
        if question.id in memory.known:
            return memory.known[question.id]
        lengths = self.lengths.get(question.id) or option_lengths(question)
        if question.type == "single":
            excluded = memory.excluded.get(question.id, set())
            left = [o for o in entry.options if o not in excluded] or list(entry.options)
            longest = max(lengths[o] for o in left)
            return self.rng.choice([o for o in left if lengths[o] == longest])
        if question.type == "truefalse":
            return self.truefalse
        if question.type == "multiple":
            ranked = sorted(entry.options, key=lambda o: -lengths[o])
            return sorted(ranked[: (len(ranked) + 1) // 2])
        if question.type == "ordering":
            return list(entry.options)  # the order shown, which is never the right one
        return None  # text and numeric: a guess without knowledge is wrong


def random_answer(entry: PaperEntry, rng: random.Random) -> Any:
    """Return a blind guess in the grader's canonical form."""
    question = entry.question
    if question.type == "single":
        return rng.choice(entry.options)
    if question.type == "truefalse":
        return rng.random() < 0.5
    if question.type == "multiple":
        return sorted(o for o in entry.options if rng.random() < 0.5) or None
    if question.type == "ordering":
        return rng.sample(list(entry.options), len(entry.options))
    return None


def key_answer(question: Question) -> Any:
    """Return the right answer in the grader's canonical form."""
    if question.type == "multiple":
        return sorted(question.answer)
    if question.type == "ordering":
        return list(question.answer)
    if question.type == "text":
        return question.answer[0]
    if question.type == "numeric":
        return f"{question.answer:g}"
    return question.answer


def sit(quiz: Quiz, paper: list[PaperEntry], answer: Callable[[PaperEntry], Any]) -> list[float]:
    """Answer a paper and return the points of each question, as the grader gives them."""
    return [grading.grade(entry.question, answer(entry)) for entry in paper]


def passes(quiz: Quiz, points: list[float]) -> bool:
    """Tell whether points pass the quiz, exactly as a submitted attempt is judged."""
    return grading.reaches(sum(points), len(points), quiz.pass_mark)


def learn(
    memory: Memory, paper: list[PaperEntry], answers: list[Any], points: list[float], level: str
) -> None:
    """Remember what a review at `level` showed about each question."""
    for entry, given, earned in zip(paper, answers, points, strict=True):
        question = entry.question
        if level == ANSWERS:
            memory.known[question.id] = key_answer(question)
        elif level != WRONG:
            continue
        elif grading.is_correct(earned):
            memory.known[question.id] = given
        elif question.type == "single" and given is not None:
            memory.excluded.setdefault(question.id, set()).add(given)
        elif question.type == "truefalse" and given is not None:
            memory.known[question.id] = not given


class Trial:
    """One trainee's papers: drawn lazily, shared by every strategy (a paper depends only on
    the papers before it, not on the answers)."""

    def __init__(
        self,
        quiz: Quiz,
        rng: random.Random,
        prefer_unseen: bool,
        lengths: dict[str, dict[str, int]] | None = None,
    ) -> None:
        self.quiz = quiz
        self.lengths = lengths if lengths is not None else bank_lengths(quiz)
        self.seeds = [rng.randrange(2**31) for _ in range(attempts_of(quiz))]
        self.prefer_unseen = prefer_unseen
        self.papers: list[list[PaperEntry]] = []

    def paper(self, number: int) -> list[PaperEntry]:
        """Return the paper of attempt `number` (0 is the first)."""
        while len(self.papers) <= number:
            index = len(self.papers)
            history = [[e.question.id for e in p] for p in self.papers]
            self.papers.append(
                draw_paper(self.quiz, self.seeds[index], history if self.prefer_unseen else ())
            )
        return self.papers[number]


def attempts_of(quiz: Quiz) -> int:
    """Return the attempts simulated: the quiz's limit, or UNLIMITED_CAP without one."""
    return quiz.max_attempts or UNLIMITED_CAP


def review_after_failure(quiz: Quiz, attempts_left: int, legacy: bool) -> str:
    """Return what the review of a failed attempt shows when attempts_left remain."""
    if legacy:
        return quiz.review
    finished = is_finished(False, attempts_left if quiz.max_attempts else None, False)
    return review_level(quiz.review, finished=finished)


def cue_guesser_passes(trial: Trial, rng: random.Random, legacy: bool = False) -> int | None:
    """Return the attempt (1-based) on which a zero-knowledge test-wise trainee passes."""
    quiz, memory, guesser = trial.quiz, Memory(), Guesser(trial.quiz, rng, trial.lengths)
    total = attempts_of(quiz)
    for number in range(total):
        paper = trial.paper(number)
        answers = [guesser.answer(entry, memory) for entry in paper]
        points = [grading.grade(e.question, a) for e, a in zip(paper, answers, strict=True)]
        if passes(quiz, points):
            return number + 1
        level = review_after_failure(quiz, total - number - 1, legacy)
        learn(memory, paper, answers, points, level)
    return None


def blind_guesser_passes(trial: Trial, rng: random.Random) -> int | None:
    """Return the attempt (1-based) on which a blind guesser passes."""
    for number in range(attempts_of(trial.quiz)):
        points = sit(trial.quiz, trial.paper(number), lambda e: random_answer(e, rng))
        if passes(trial.quiz, points):
            return number + 1
    return None


def knower_score(trial: Trial, share: float, rng: random.Random) -> float:
    """Return the first-attempt score (percent) of a trainee who knows `share` of the bank."""
    quiz = trial.quiz
    known = set(rng.sample([q.id for q in quiz.questions], round(share * len(quiz.questions))))
    guesser, memory = Guesser(quiz, rng, trial.lengths), Memory()

    def answer(entry: PaperEntry) -> Any:
        if entry.question.id in known:
            return key_answer(entry.question)
        return guesser.answer(entry, memory)

    points = sit(quiz, trial.paper(0), answer)
    return 100 * sum(points) / len(points) if points else 0.0


def simulate(
    quiz: Quiz, trials: int = TRIALS, seed: int = SEED, *, legacy: bool = False
) -> tuple[Figures, dict[str, list[float]]]:
    """Simulate every kind of trainee on a quiz; return the figures and the knowers' scores.

    `legacy` simulates the engine before retakes stopped leaking: a draw that ignores earlier
    papers, and a review that shows the keys whenever the quiz's setting says `answers`.
    """
    rng = random.Random(f"{seed}:{quiz.id}")  # noqa: S311 - a simulation, not a secret
    test_wise: list[int | None] = []
    blind: list[int | None] = []
    scores: dict[str, list[float]] = {name: [] for name in KNOWLEDGE}
    lengths = bank_lengths(quiz)
    for _ in range(trials):
        trial = Trial(quiz, _child(rng), not legacy, lengths)
        test_wise.append(cue_guesser_passes(trial, _child(rng), legacy))
        blind.append(blind_guesser_passes(trial, _child(rng)))
        for name, share in KNOWLEDGE.items():
            scores[name].append(knower_score(trial, share, _child(rng)))
    figures = Figures(
        quiz_id=quiz.id,
        attempts=attempts_of(quiz),
        trials=trials,
        p_pass_test_wise=_share(test_wise, lambda n: n is not None),
        p_pass_random=_share(blind, lambda n: n is not None),
        p_pass_test_wise_first=_share(test_wise, lambda n: n == 1),
        per_attempt={name: pass_rate(quiz.pass_mark, values) for name, values in scores.items()},
    )
    return figures, scores


def _child(rng: random.Random) -> random.Random:
    """Return an independent generator seeded from rng (each trainee gets their own)."""
    return random.Random(rng.randrange(2**63))  # noqa: S311 - a simulation, not a secret


def pass_rate(pass_mark: float, scores: list[float]) -> float:
    """Return the share of scores that reach a pass mark."""
    return _share(scores, lambda s: s >= pass_mark - grading.FLOAT_SLACK)


def _share(values: list[Any], test: Callable[[Any], bool]) -> float:
    return round(sum(1 for v in values if test(v)) / len(values), 4) if values else 0.0
