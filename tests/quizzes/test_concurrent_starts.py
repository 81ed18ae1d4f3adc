"""Many trainees opening the same quiz at once on real PostgreSQL: every start succeeds."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import delete, func, select

from app.content import get_catalog
from app.content.quizzes import quiz_section
from app.extensions import db
from app.quizzes.models import QuestionVersion
from app.quizzes.services import record_versions

THREADS = 8
ROUNDS = 6


@pytest.fixture(scope="module")
def race_app(pg_server) -> Iterator[Flask]:
    """An app on its own database, where every thread sees only committed data."""
    from tests.browser import build_app

    application = build_app(pg_server.create_database("academy_quiz_start_race"))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_first_papers_drawn_at_once_store_each_question_version_once(race_app: Flask) -> None:
    # The first papers of a quiz store the versions of the questions they drew. Papers draw the
    # same questions in different orders; storing them in draw order let two starts wait on each
    # other's rows (a deadlock, a 500 for one trainee) when a cohort opened a quiz together.
    with race_app.app_context():
        quiz = quiz_section(get_catalog()).quizzes["day-08-quiz"]
        questions = list(quiz.questions)
    failures: list[BaseException] = []

    def start(order: list, barrier: threading.Barrier) -> None:
        with race_app.app_context():
            try:
                barrier.wait()
                record_versions(quiz.id, order)
                db.session.commit()
            except BaseException as error:
                failures.append(error)
                db.session.rollback()
            finally:
                db.session.remove()

    for round_number in range(ROUNDS):
        shuffler = random.Random(round_number)
        barrier = threading.Barrier(THREADS)
        orders = [shuffler.sample(questions, len(questions)) for _ in range(THREADS)]
        threads = [threading.Thread(target=start, args=(order, barrier)) for order in orders]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        with race_app.app_context():
            stored = db.session.execute(
                select(QuestionVersion.question_id, func.count()).group_by(
                    QuestionVersion.question_id
                )
            ).all()
            assert failures == []
            assert {question_id for question_id, _ in stored} == {q.id for q in questions}
            assert all(count == 1 for _, count in stored)
            db.session.execute(delete(QuestionVersion))
            db.session.commit()
