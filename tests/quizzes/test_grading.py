"""Grading of every question type, and strict reading of submitted answers."""

from __future__ import annotations

import pytest

from app.content.quizzes import Option, Question
from app.quizzes.grading import (
    TamperedSubmission,
    grade,
    normalise_text,
    parse_number,
    read_answers,
    score_percent,
)


def _question(kind: str, answer, options=(), **extra) -> Question:
    return Question(
        id=f"q-{kind}",
        type=kind,
        prompt="?",
        explanation="because",
        tags=("t",),
        options=tuple(Option(o, o.upper()) for o in options),
        answer=answer,
        **extra,
    )


SINGLE = _question("single", "b", "abc")
MULTI = _question("multiple", ("a", "b", "c"), "abcde")
TRUEFALSE = _question("truefalse", False)
ORDER = _question("ordering", ("a", "b", "c", "d"), "abcd")
TEXT = _question("text", ("PostgreSQL", "the database"), patterns=("postgre(s|sql)( ?1[0-9])?",))
NUMERIC = _question("numeric", 1.5, tolerance=0.25)
EXACT = _question("numeric", 1209600.0)


def test_single_and_truefalse_are_right_or_wrong():
    assert grade(SINGLE, "b") == 1.0
    assert grade(SINGLE, "a") == 0.0
    assert grade(SINGLE, None) == 0.0
    assert grade(TRUEFALSE, False) == 1.0
    assert grade(TRUEFALSE, True) == 0.0


@pytest.mark.parametrize(
    ("picked", "points"),
    [
        (["a", "b", "c"], 1.0),  # all and only the right ones
        (["a", "b"], 0.666667),  # two of three right, nothing wrong
        (["a"], 0.333333),
        (["a", "b", "d"], 0.166667),  # 2/3 right minus 1/2 for one of the two wrong options
        (["a", "d", "e"], 0.0),  # 1/3 - 2/2 is below zero: floored
        (["a", "b", "c", "d", "e"], 0.0),  # ticking every box earns nothing
        (["d"], 0.0),
        ([], 0.0),
    ],
)
def test_multiple_gives_proportional_credit_and_wrong_picks_subtract(picked, points):
    assert grade(MULTI, picked) == pytest.approx(points, abs=1e-6)


def test_multiple_where_every_option_is_right():
    all_right = _question("multiple", ("a", "b"), "ab")
    assert grade(all_right, ["a"]) == 0.5
    assert grade(all_right, ["a", "b"]) == 1.0


def test_ordering_is_all_or_nothing():
    assert grade(ORDER, ["a", "b", "c", "d"]) == 1.0
    assert grade(ORDER, ["a", "b", "d", "c"]) == 0.0
    assert grade(ORDER, ["d", "c", "b", "a"]) == 0.0


@pytest.mark.parametrize(
    "typed",
    [
        "PostgreSQL",
        "postgresql",
        "  POSTGRESQL  ",
        "the   database",
        "The Database",
        "postgres",
        "Postgres 15",
        "postgresql15",
    ],
)
def test_text_ignores_case_and_spacing_and_accepts_patterns(typed):
    assert grade(TEXT, typed) == 1.0


@pytest.mark.parametrize("typed", ["mysql", "postgresql 9", "a postgres", "postgres!", ""])
def test_text_patterns_must_match_in_full(typed):
    assert grade(TEXT, typed) == 0.0


def test_normalise_text_folds_case_and_collapses_whitespace():
    assert normalise_text("  Etc/Hosts \t file ") == "etc/hosts file"


@pytest.mark.parametrize(
    ("typed", "points"),
    [
        ("1.5", 1.0),
        ("1.75", 1.0),
        ("1.25", 1.0),
        ("1.76", 0.0),
        ("1.2", 0.0),
        (" 1.6 ", 1.0),
        ("one and a half", 0.0),
        ("", 0.0),
        ("1,5", 0.0),
    ],
)
def test_numeric_tolerance_is_inclusive(typed, points):
    assert grade(NUMERIC, typed) == points


@pytest.mark.parametrize("typed", ["1209600", "1,209,600", "1 209 600", "1209600.0", "1.2096e6"])
def test_numeric_accepts_grouped_digits_and_exponents(typed):
    assert grade(EXACT, typed) == 1.0


def test_numeric_without_tolerance_still_forgives_float_rounding():
    sum_question = _question("numeric", 0.3)
    assert grade(sum_question, str(0.1 + 0.2)) == 1.0
    assert grade(sum_question, "0.31") == 0.0


def test_numeric_accepts_a_percent_sign():
    assert parse_number("82 %") == 82.0
    assert parse_number("82%") == 82.0
    assert parse_number("%") is None


def test_parse_number_rejects_bad_grouping():
    assert parse_number("12,34") is None
    assert parse_number("-3") == -3.0


def test_score_percent_has_one_decimal():
    assert score_percent([1, 1, 0.5], 3) == 83.3
    assert score_percent([], 0) == 0.0


PAPER = {q.id: q for q in (SINGLE, MULTI, TRUEFALSE, ORDER, TEXT, NUMERIC)}
SHOWN = {SINGLE.id: ["c", "a", "b"], MULTI.id: list("edcba"), ORDER.id: list("dcba")}
KNOWN = {*PAPER, "q-elsewhere"}


def _read(raw):
    return read_answers(raw, PAPER, SHOWN, KNOWN)


def test_read_answers_gives_canonical_values():
    answers = _read(
        {
            SINGLE.id: ["b"],
            MULTI.id: ["c", "a"],
            TRUEFALSE.id: ["false"],
            ORDER.id: ["a", "b", "c", "d"],
            TEXT.id: ["  postgres "],
            NUMERIC.id: [""],
        }
    )
    assert answers == {
        SINGLE.id: "b",
        MULTI.id: ["a", "c"],
        TRUEFALSE.id: False,
        ORDER.id: ["a", "b", "c", "d"],
        TEXT.id: "postgres",
    }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"q-nowhere": ["a"]}, "unknown question"),
        ({"q-elsewhere": ["a"]}, "not part of this attempt"),
        ({SINGLE.id: ["z"]}, "not an option"),
        ({SINGLE.id: ["a", "b"]}, "takes one option"),
        ({MULTI.id: ["a", "a"]}, "sent twice"),
        ({MULTI.id: ["a", "x"]}, "not an option"),
        ({ORDER.id: ["a", "b", "c"]}, "every option once"),
        ({ORDER.id: ["a", "a", "b", "c"]}, "every option once"),
        ({TRUEFALSE.id: ["maybe"]}, "true or false"),
        ({TEXT.id: ["one", "two"]}, "takes one answer"),
        ({TEXT.id: ["x" * 501]}, "too long"),
    ],
)
def test_read_answers_rejects_what_the_form_cannot_send(raw, message):
    with pytest.raises(TamperedSubmission, match=message):
        _read(raw)
