"""Evidence pages read the same for trainee and coordinator: titles instead of ids, one rounding
rule for scores, and terminal recordings grouped under their lab session with real sizes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from tests.certification.conftest import pass_lab, pass_quiz
from tests.conftest import csrf_token, login


def _switch(client, user) -> None:
    """Log out and in as another user (the test's requests share one app context)."""
    client.post("/logout", data={"csrf_token": csrf_token(client, "/plan")})
    login(client, user)


def _day_one_quiz(catalog):
    from app.content.quizzes import quiz_section

    return quiz_section(catalog).for_day("day-01")


@pytest.fixture
def scored(session, team, catalog):
    """Thandi's day-1 attempt, graded 16.7 % (one question of six)."""
    from app.quizzes.models import QuizAttempt

    quiz = _day_one_quiz(catalog)
    pass_quiz(team.trainee.id, quiz, catalog)
    attempt = db.session.scalar(select(QuizAttempt).where(QuizAttempt.user_id == team.trainee.id))
    attempt.score = 16.7
    session.commit()
    return attempt


def test_quiz_titles_not_ids_on_the_coordinators_page(client, login_as, team, catalog, scored):
    quiz = _day_one_quiz(catalog)
    login_as(team.coordinator)
    page = client.get(f"/team/trainees/{team.trainee.id}").get_data(as_text=True)
    assert f"<td>{quiz.title}</td>" in page
    assert f"<td>{quiz.id}</td>" not in page


def test_one_rounding_rule_for_trainee_and_coordinator(client, login_as, team, scored):
    login_as(team.coordinator)
    coordinator = client.get(f"/team/trainees/{team.trainee.id}").get_data(as_text=True)
    assert "<td>16.7%</td>" in coordinator
    # No score shows rounded to a whole percent (progress bars' widths are not scores).
    assert not re.search(r">\s*17%", coordinator)
    _switch(client, team.trainee)
    quiz_page = client.get("/days/day-01/quiz").get_data(as_text=True)
    assert "16.7%" in quiz_page
    review = client.get(f"/quizzes/attempts/{scored.id}/review").get_data(as_text=True)
    assert '<span id="score">16.7%</span>' in review


@pytest.fixture
def recorded(session, team, catalog, make_user):
    """Thandi's deploy-staging session with two hosts recorded (one still live), and a
    sandbox of her own outside any lab."""
    from app.labs.models import LabSession
    from app.sandboxes.models import Sandbox, TerminalRecording

    pass_lab(team.trainee.id, "deploy-staging", catalog)
    lab_session = db.session.scalar(select(LabSession).where(LabSession.user_id == team.trainee.id))
    assert lab_session.sandbox_id
    start = utcnow() - timedelta(hours=1)
    prod = TerminalRecording(
        sandbox_id=lab_session.sandbox_id,
        user_id=team.trainee.id,
        host="prod",
        path="recordings/prod.cast",
        started_at=start,
        ended_at=start + timedelta(minutes=20),
        bytes=512,
    )
    staging = TerminalRecording(
        sandbox_id=lab_session.sandbox_id,
        user_id=team.trainee.id,
        host="staging",
        path="recordings/staging.cast",
        started_at=start + timedelta(minutes=5),
        bytes=0,
    )
    own = Sandbox(profile="default", owner_id=team.trainee.id, purpose="manual", status="expired")
    session.add(own)
    session.flush()
    big = TerminalRecording(
        sandbox_id=own.id,
        user_id=team.trainee.id,
        host="prod",
        path="recordings/own.cast",
        started_at=start - timedelta(days=1),
        ended_at=start - timedelta(days=1) + timedelta(minutes=30),
        bytes=3 * 1024 * 1024,
    )
    session.add_all([prod, staging, big])
    session.commit()
    return lab_session, prod, staging, big


def test_recordings_are_grouped_under_their_lab_session(client, login_as, team, recorded):
    lab_session, prod, staging, big = recorded
    login_as(team.coordinator)
    page = client.get(f"/team/trainees/{team.trainee.id}").get_data(as_text=True)
    section = page[page.index('id="item-recordings"') : page.index('id="kind-acknowledgment"')]
    groups = re.findall(r'<li class="recording-group".*?</table>', section, re.S)
    assert len(groups) == 2
    lab_group, other = groups
    assert f'data-session="{lab_session.id}"' in lab_group
    assert f"Deploy a release with a migration to staging · session {lab_session.id}" in lab_group
    assert "Thandi Trainee" in lab_group
    # Both hosts of the session, each once, with the task pass times.
    assert f'data-recording="{prod.id}"' in lab_group
    assert f'data-recording="{staging.id}"' in lab_group
    assert lab_group.count("<li>") >= 1
    assert ": passed " in lab_group
    # Real sizes; "recording…" while live, never "0.0 KB".
    assert '<td class="size">512 B</td>' in lab_group
    assert "recording…" in lab_group
    assert "0.0 KB" not in section
    assert "0 KB" not in section
    assert "(not a lab session)" in other
    assert f'data-recording="{big.id}"' in other
    assert '<td class="size">3.0 MB</td>' in other
    # Titles, not ids, for the hosts' replay links.
    label = "Replay the terminal of prod in Deploy a release with a migration to staging"
    assert f'aria-label="{label}, session {lab_session.id}"' in lab_group


def test_the_session_page_lists_its_recordings_with_sizes(client, login_as, team, recorded):
    lab_session, prod, staging, _ = recorded
    login_as(team.coordinator)
    page = client.get(f"/labs/sessions/{lab_session.id}").get_data(as_text=True)
    table = re.search(r'<table class="grid compact recordings-table">.*?</table>', page, re.S)
    assert table
    rows = table.group(0)
    assert rows.index(f'data-recording="{prod.id}"') < rows.index(f'data-recording="{staging.id}"')
    assert '<td class="size">512 B</td>' in rows
    assert '<span class="badge live">recording…</span>' in rows


def test_the_replay_page_has_a_breadcrumb_and_its_context(client, login_as, team, recorded):
    lab_session, prod, staging, big = recorded
    login_as(team.coordinator)
    page = client.get(f"/recordings/{staging.id}").get_data(as_text=True)
    crumbs = re.search(r'<p class="crumbs" id="recording-crumbs">.*?</p>', page, re.S).group(0)
    assert ">Teams</a>" in crumbs
    assert f'href="/team/trainees/{team.trainee.id}#item-recordings">Thandi Trainee</a>' in crumbs
    assert f"Deploy a release with a migration to staging · session {lab_session.id}</a>" in crumbs
    assert "Recording of staging" in crumbs
    context = re.search(r'<dl class="facts recording-context".*?</dl>', page, re.S).group(0)
    assert "<dd>Thandi Trainee</dd>" in context
    assert "<dd>Deploy a release with a migration to staging</dd>" in context
    assert f"session {lab_session.id}</a>" in context
    assert "recording…" in context
    assert f'href="/recordings/{prod.id}"><code>prod</code></a>' in context  # the other host

    _switch(client, team.trainee)
    own = client.get(f"/recordings/{prod.id}").get_data(as_text=True)
    crumbs = re.search(r'<p class="crumbs" id="recording-crumbs">.*?</p>', own, re.S).group(0)
    assert 'href="/labs">Labs</a>' in crumbs
    assert f'href="/labs/sessions/{lab_session.id}">session {lab_session.id}</a>' in crumbs
    assert "512 B" in own
    outside = client.get(f"/recordings/{big.id}").get_data(as_text=True)
    assert "Sandbox " in re.search(r'id="recording-crumbs">.*?</p>', outside, re.S).group(0)
    assert "3.0 MB" in outside
