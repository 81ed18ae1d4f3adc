"""`academy quizzes regrade --all` after a content rewrite: rewritten questions are safe."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.content.quizzes import quiz_section
from app.quizzes import services
from app.quizzes.cli import quizzes as quizzes_command
from app.quizzes.models import QuizAttempt, QuizRegrade
from app.quizzes.regrade import plan_regrade
from tests.quizzes.conftest import RIGHT, build_catalog

SINGLE = """    options:
      - id: a
        text: "443"
      - id: b
        text: "5000"
      - id: c
        text: "`3000`"
    answer: b
"""


def _take(user_id, catalog, **answers):
    quiz = quiz_section(catalog).quizzes["alpha-quiz"]
    attempt = services.start_attempt(user_id, quiz, catalog)
    return services.submit(attempt, {**RIGHT, **answers}, catalog)


def _rewrite(content_dir, old: str, new: str):
    quiz = content_dir / "day-01-alpha" / "quiz.yaml"
    text = quiz.read_text()
    assert old in text, old
    quiz.write_text(text.replace(old, new, 1))
    return build_catalog(content_dir)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (
            SINGLE,
            SINGLE.replace('"443"', '"Port 80, behind the load balancer"').replace(
                "answer: b", "answer: a"
            ),
            "option a was rewritten ('443' became 'Port 80, behind the load balancer'), so an "
            "old answer would mean something else",
        ),
        (
            "    prompt: Which port does the API listen on?\n",
            "    prompt: Which of these ports does Redis use for replication traffic?\n",
            "its prompt was rewritten, so old answers answered another question",
        ),
        (
            SINGLE,
            SINGLE.replace('      - id: c\n        text: "`3000`"\n', ""),
            "its options changed (removed c), so old answers cannot be graded fairly",
        ),
    ],
)
def test_a_rewritten_question_keeps_its_old_points(
    session, make_user, content_dir, old, new, reason
):
    before = build_catalog(content_dir)
    attempt = _take(make_user(Role.TRAINEE).id, before, **{"a-single": ["a"]})
    after = _rewrite(content_dir, old, new)
    plan = plan_regrade(quiz_section(after).quizzes["alpha-quiz"], None)
    assert plan.skipped == {"a-single": reason}
    assert plan.kept == {"a-single": 1}
    assert plan.score_changes == []
    assert attempt.results["a-single"]["points"] == 0.0


def test_a_corrected_question_is_regraded(session, make_user, content_dir):
    before = build_catalog(content_dir)
    attempt = _take(make_user(Role.TRAINEE).id, before, **{"a-single": ["c"]})
    # A typo fixed in an option and the key corrected: same question, regraded.
    after = _rewrite(
        content_dir, SINGLE, SINGLE.replace("`3000`", "`3000`.").replace("answer: b", "answer: c")
    )
    plan = plan_regrade(quiz_section(after).quizzes["alpha-quiz"], None)
    assert plan.skipped == {}
    assert [(c.attempt.id, c.new_score) for c in plan.score_changes] == [(attempt.id, 100.0)]


def test_regrade_all_regrades_every_quiz_and_explains_what_it_kept(
    app, session, make_user, content_dir, monkeypatch
):
    before = build_catalog(content_dir)
    trainee = make_user(Role.TRAINEE)
    rewritten = _take(trainee.id, before, **{"a-single": ["a"], "a-tf": ["true"]})
    final = quiz_section(before).assessment
    gone = services.start_attempt(make_user(Role.TRAINEE).id, final, before)
    services.submit(gone, {}, before)
    gone.quiz_id = "retired-quiz"
    session.commit()

    after = _rewrite(
        content_dir,
        SINGLE,
        SINGLE.replace('"443"', '"Port 80, behind the load balancer"').replace(
            "answer: b", "answer: a"
        ),
    )
    after = _rewrite(content_dir, "    answer: false\n", "    answer: true\n")
    monkeypatch.setitem(app.extensions, "academy.catalog", after)
    runner = app.test_cli_runner()

    refused = runner.invoke(quizzes_command, ["regrade", "--reason", "rewrite"])
    assert refused.exit_code == 2
    assert "name one QUIZ_ID or pass --all" in refused.output

    dry = runner.invoke(
        quizzes_command, ["regrade", "--all", "--reason", "content rewrite", "--dry-run"]
    )
    assert dry.exit_code == 0, dry.output
    assert "retired-quiz: no longer in the content; its attempts keep their grades" in dry.output
    assert (
        "alpha-quiz: kept old points for a-single in 1 attempt(s): option a was rewritten"
    ) in dry.output
    assert f"alpha-quiz: attempt {rewritten.id} ({trainee.email}): 71.4% -> 85.7%" in dry.output
    assert "dry run: 1 of 1 attempt(s) would change" in dry.output
    assert session.scalar(select(QuizRegrade.id)) is None

    done = runner.invoke(quizzes_command, ["regrade", "--all", "--reason", "content rewrite"])
    assert done.exit_code == 0, done.output
    assert "regraded 1 attempt(s) of 1 quiz(zes), 1 changed" in done.output
    session.expire_all()
    attempt = session.get(QuizAttempt, rewritten.id)
    assert attempt.score == 85.7
    assert attempt.results["a-single"]["points"] == 0.0
    assert attempt.results["a-tf"]["points"] == 1.0
    assert [r.reason for r in session.scalars(select(QuizRegrade))] == ["content rewrite"]
    # The review still shows the rewritten question as the trainee saw it.
    item = next(i for i in services.paper_of(attempt) if i.question.id == "a-single")
    assert item.question.option("a").text == "443"
