"""The guessing simulator: cues, memory between attempts, and `academy bench guessing`."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.content.questions import DrawRule, Option, Question, Quiz
from app.quizzes import guessing
from app.quizzes.cli import bench_guessing
from app.quizzes.guessing import Figures, Guesser, Memory, learn, simulate
from app.quizzes.paper import draw_paper
from app.quizzes.review import ANSWERS, SCORE, WRONG

LONG = "Check what changed since yesterday and compare it with the logs"


def _single(n: int, biased: bool, key_position: int) -> Question:
    texts = ["Restart it now", "Call the vendor", "Ignore the alert", "Open a ticket"]
    ids = ["a", "b", "c", "d"]
    key = ids[key_position]
    if biased:
        texts[key_position] = LONG
    return Question(
        id=f"s{n:02d}",
        type="single",
        prompt=f"Single {n}",
        explanation="Because.",
        tags=("bank",),
        options=tuple(Option(i, t) for i, t in zip(ids, texts, strict=True)),
        answer=key,
    )


def _truefalse(n: int, key: bool) -> Question:
    return Question(
        id=f"t{n:02d}",
        type="truefalse",
        prompt="Claim",
        explanation="So.",
        tags=("bank",),
        answer=key,
    )


def _quiz(questions: list[Question], paper: int | None, review: str = ANSWERS) -> Quiz:
    return Quiz(
        id="sim-quiz",
        title="Simulated",
        pass_mark=70,
        max_attempts=3,
        delay_minutes=0,
        time_limit_minutes=0,
        review=review,
        draw=(DrawRule(None, paper),) if paper else (),
        questions=tuple(questions),
        path=Path("sim.yaml"),
        day_id="day-01",
    )


def _bank(size: int, biased: bool, paper: int | None, review: str = ANSWERS) -> Quiz:
    rng = random.Random(size)
    singles = [_single(n, biased, rng.randrange(4)) for n in range(size * 4 // 5)]
    flags = [False] * (size - len(singles)) if biased else [n % 2 == 0 for n in range(size // 5)]
    return _quiz(singles + [_truefalse(n, key) for n, key in enumerate(flags)], paper, review)


def test_a_test_wise_guesser_passes_a_biased_bank():
    figures, _ = simulate(_bank(30, biased=True, paper=10), trials=300)
    assert figures.p_pass_test_wise_first >= 0.95
    assert figures.p_pass_test_wise >= 0.95
    assert figures.p_pass_random < 0.2
    assert figures.misses(is_assessment=False)


def test_a_balanced_bank_resists_the_test_wise_guesser():
    figures, _ = simulate(_bank(30, biased=False, paper=10), trials=300)
    assert figures.p_pass_test_wise < 0.05
    assert figures.p_pass_random < 0.05
    assert figures.per_attempt["know_90"] >= 0.9
    assert figures.per_attempt["know_60"] < figures.per_attempt["know_90"]
    assert figures.misses(is_assessment=False) == []


def test_a_review_with_the_keys_hands_the_retake_its_answers():
    # Bank the size of the paper: the same questions come back every time.
    quiz = _bank(10, biased=False, paper=None)
    leaking, _ = simulate(quiz, trials=200, legacy=True)
    assert leaking.p_pass_test_wise_first < 0.05
    assert leaking.p_pass_test_wise > 0.95  # the second attempt copies the first review's keys
    # With a bank of three papers, new questions and no keys before the end, it does not.
    teaching, _ = simulate(_bank(30, biased=False, paper=10), trials=200)
    assert teaching.p_pass_test_wise < 0.05


def test_what_each_review_level_teaches():
    quiz = _bank(10, biased=False, paper=None)
    paper = draw_paper(quiz, 1)
    single = next(i for i, e in enumerate(paper) if e.question.type == "single")
    flag = next(i for i, e in enumerate(paper) if e.question.type == "truefalse")
    key = paper[single].question.answer
    wrong = next(o for o in paper[single].options if o != key)
    answers: list[object] = [None] * len(paper)
    points = [0.0] * len(paper)
    answers[single] = wrong
    answers[flag] = not paper[flag].question.answer
    for level in (SCORE, WRONG, ANSWERS):
        memory = Memory()
        learn(memory, paper, answers, points, level)
        if level == SCORE:
            assert memory == Memory()
        elif level == WRONG:
            assert memory.excluded == {paper[single].question.id: {wrong}}
            assert memory.known == {paper[flag].question.id: paper[flag].question.answer}
        else:
            assert memory.known[paper[single].question.id] == key
            assert len(memory.known) == len(paper)
    guesser = Guesser(quiz, random.Random(1))
    remembered = Memory(excluded={paper[single].question.id: {wrong}})
    for _ in range(20):
        assert guesser.answer(paper[single], remembered) != wrong


def test_the_guesser_reads_the_cues():
    quiz = _bank(10, biased=True, paper=None)
    guesser = Guesser(quiz, random.Random(2))
    assert guesser.truefalse is False  # every key of the bank is false
    for entry in draw_paper(quiz, 3):
        if entry.question.type == "single":
            assert guesser.answer(entry, Memory()) == entry.question.answer


def test_figures_are_reproducible_from_the_seed():
    quiz = _bank(30, biased=False, paper=10)
    assert simulate(quiz, trials=100, seed=4)[0] == simulate(quiz, trials=100, seed=4)[0]


def test_targets_of_the_final_assessment():
    figures = Figures("final", 2, 100, 0.004, 0.0, 0.0, {"know_60": 0.12, "know_90": 0.85})
    misses = figures.misses(is_assessment=True)
    assert len(misses) == 2
    assert "knows 60% passes 12.0% per attempt (at most 10%)" in misses[0]
    assert "knows 90% passes 85.0% per attempt (at least 90%)" in misses[1]
    assert Figures("d", 3, 100, 0.06, 0.0, 0.0, {"know_60": 1, "know_90": 1}).misses(False)


@pytest.fixture
def quizzes(monkeypatch):
    banks = [_bank(30, biased=True, paper=10)]
    monkeypatch.setattr("app.quizzes.guessing_report.load_quizzes", lambda ids: banks)
    return banks


def test_bench_guessing_prints_json_and_checks_targets(quizzes):
    result = CliRunner().invoke(bench_guessing, ["--json", "--trials", "100", "--sweep"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert list(figures) == ["sim-quiz"]
    assert {"p_pass_test_wise", "p_pass_random", "p_pass_know_60", "p_pass_know_90"} <= set(
        figures["sim-quiz"]
    )
    assert figures["sim-quiz"]["p_pass_test_wise"] > 0.9
    assert set(figures["sim-quiz"]["pass_mark_sweep"]["80"]) == {"know_60", "know_90"}
    checked = CliRunner().invoke(bench_guessing, ["--check", "--trials", "100"])
    assert checked.exit_code == 1
    assert "MISSED sim-quiz: a test-wise guesser passes" in checked.output
    assert guessing.TRIALS >= 1000
