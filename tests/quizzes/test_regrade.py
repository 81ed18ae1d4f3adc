"""Editing a question makes a new version; a regrade grades old answers with the fixed key."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.content.quizzes import quiz_section
from app.coordination.services import add_member, create_cohort
from app.quizzes import services
from app.quizzes.models import AttemptRegrade, QuestionVersion
from app.quizzes.regrade import apply_regrade, plan_regrade, regrade_history
from app.quizzes.statistics import visible_trainee_ids
from tests.quizzes.conftest import RIGHT, build_catalog


@pytest.fixture
def before(content_dir):
    return build_catalog(content_dir)


def _take(user_id, catalog, **answers):
    quiz = quiz_section(catalog).quizzes["alpha-quiz"]
    attempt = services.start_attempt(user_id, quiz, catalog)
    raw = {**RIGHT, **{k.replace("_", "-"): v for k, v in answers.items()}}
    return services.submit(attempt, raw, catalog)


def _fix_key(content_dir):
    """The author decides 3000 was the right option of a-single after all (option c)."""
    quiz = content_dir / "day-01-alpha" / "quiz.yaml"
    quiz.write_text(quiz.read_text().replace("    answer: b\n", "    answer: c\n", 1))
    return build_catalog(content_dir)


def test_regrade_uses_the_current_key_and_keeps_the_paper(session, make_user, content_dir, before):
    picked_c = _take(make_user(Role.TRAINEE).id, before, a_single=["c"])
    picked_b = _take(make_user(Role.TRAINEE).id, before)
    assert picked_c.results["a-single"]["points"] == 0.0
    old_version = next(e["version"] for e in picked_c.paper["questions"] if e["id"] == "a-single")
    after = _fix_key(content_dir)
    quiz = quiz_section(after).quizzes["alpha-quiz"]

    plan = plan_regrade(quiz, None)
    assert plan.checked == 2
    assert {c.attempt.id: (c.old_score, c.new_score) for c in plan.score_changes} == {
        picked_c.id: (85.7, 100.0),
        picked_b.id: (100.0, 85.7),
    }
    assert picked_c.score == 85.7  # planning changes nothing

    coordinator = make_user(Role.COORDINATOR)
    done = apply_regrade(plan, after, coordinator.id, "key of a-single was wrong")
    assert (done.attempts_checked, done.attempts_changed) == (2, 2)
    assert picked_c.score == 100.0
    assert picked_c.passed
    assert picked_c.results["a-single"]["version"] == quiz.question("a-single").version
    assert picked_c.graded_version == after.version
    change = session.scalar(select(AttemptRegrade).where(AttemptRegrade.attempt_id == picked_c.id))
    assert change.questions == [
        {"id": "a-single", "old": 0.0, "new": 1.0, "version": quiz.question("a-single").version}
    ]
    assert [r.reason for r in regrade_history("alpha-quiz")] == ["key of a-single was wrong"]

    # The review shows the paper as drawn, with the corrected key.
    item = next(i for i in services.paper_of(picked_c) if i.question.id == "a-single")
    assert item.question.version != item.key.version
    assert item.question.answer == "b"
    assert item.key.answer == "c"
    assert item.correct
    # Both versions are kept.
    versions = session.scalars(
        select(QuestionVersion.version).where(QuestionVersion.question_id == "a-single")
    ).all()
    assert set(versions) == {old_version, quiz.question("a-single").version}
    # Nothing left to do.
    assert plan_regrade(quiz, None).changes == []


def test_a_question_whose_options_changed_keeps_its_old_points(
    session, make_user, content_dir, before
):
    attempt = _take(make_user(Role.TRAINEE).id, before, a_single=["c"])
    quiz_file = content_dir / "day-01-alpha" / "quiz.yaml"
    quiz_file.write_text(
        quiz_file.read_text().replace(
            '        text: "`3000`"\n    answer: b\n',
            '        text: "`3000`"\n      - id: d\n        text: "8080"\n    answer: c\n',
        )
    )
    quiz = quiz_section(build_catalog(content_dir)).quizzes["alpha-quiz"]
    plan = plan_regrade(quiz, None)
    assert plan.skipped == {
        "a-single": "its options changed (added d), so old answers cannot be graded fairly"
    }
    assert plan.kept == {"a-single": 1}
    assert plan.score_changes == []
    assert attempt.score == 85.7


def test_a_coordinator_regrades_only_their_own_trainees(session, make_user, content_dir, before):
    coordinator = make_user(Role.COORDINATOR)
    mine, theirs = make_user(Role.TRAINEE), make_user(Role.TRAINEE)
    cohort = create_cohort("Regrade cohort", date(2026, 11, 1), [coordinator.id])
    add_member(cohort.id, mine.id)
    my_attempt = _take(mine.id, before, a_single=["c"])
    their_attempt = _take(theirs.id, before, a_single=["c"])
    after = _fix_key(content_dir)
    quiz = quiz_section(after).quizzes["alpha-quiz"]
    plan = plan_regrade(quiz, visible_trainee_ids(coordinator))
    apply_regrade(plan, after, coordinator.id, "fix")
    assert my_attempt.score == 100.0
    assert their_attempt.score == 85.7
