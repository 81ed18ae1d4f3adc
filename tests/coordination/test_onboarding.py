"""Bulk onboarding from a roster CSV: everyone invited, or nobody when a row is wrong."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.auth.models import Invitation
from app.coordination.onboarding import RosterError, parse_roster
from tests.conftest import csrf_token


def _upload(client, cohort_id: int, data: bytes, name: str = "roster.csv"):
    path = f"/team/cohorts/{cohort_id}/import"
    token = csrf_token(client, path)
    return client.post(
        path,
        data={"roster": (io.BytesIO(data), name), "csrf_token": token},
        content_type="multipart/form-data",
    )


def _invitations(session) -> int:
    return session.scalar(select(func.count(Invitation.id)))


def test_a_good_roster_invites_everyone_to_the_cohort(client, login_as, team, session, outbox):
    login_as(team.coordinator)
    roster = (
        "\ufeffemail,full_name\r\n"
        "Amy@Example.test,Amy Adams\r\n"
        "ben@example.test, Ben  Botha \r\n\r\n"
    ).encode()
    response = _upload(client, team.cohort_id, roster)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 invitation(s) created" in page
    assert "/invitations/" in page
    invitations = session.scalars(select(Invitation).order_by(Invitation.email)).all()
    assert [(i.email, i.full_name, i.cohort_id, i.role) for i in invitations] == [
        ("amy@example.test", "Amy Adams", team.cohort_id, "trainee"),
        ("ben@example.test", "Ben Botha", team.cohort_id, "trainee"),
    ]
    assert sorted(n.to for n in outbox) == ["amy@example.test", "ben@example.test"]
    assert all("/invitations/" in n.body and "Cohort A" in n.body for n in outbox)


def test_a_bad_row_changes_nothing_and_every_problem_names_its_row(
    client, login_as, team, session, outbox
):
    login_as(team.coordinator)
    roster = (
        "email,full_name\n"
        "good@example.test,Good Person\n"
        "not-an-address,No Email\n"
        "blank@example.test,\n"
        f"{team.other_trainee.email},Already Here\n"
        "good@example.test,Twice Listed\n"
        "x@example.test,Too,Many\n"
    ).encode()
    response = _upload(client, team.cohort_id, roster)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Nothing was imported" in page
    for problem in (
        "row 3: &#39;not-an-address&#39; is not an e-mail address",
        "row 4: the full name is missing",
        "row 6: good@example.test is also on row 2",
        "row 7: expected 2 columns (email, full_name), found 3",
    ):
        assert problem in page, problem
    assert _invitations(session) == 0
    assert outbox == []
    # The account check runs once the file itself is clean; its problems name rows as well.
    clean = (
        f"email,full_name\nnew@example.test,New Person\n{team.other_trainee.email},Already Here\n"
    ).encode()
    response = _upload(client, team.cohort_id, clean)
    assert response.status_code == 422
    assert f"row 3: an account for {team.other_trainee.email} already exists" in response.get_data(
        as_text=True
    )
    assert _invitations(session) == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,email\nA,a@example.test\n", "row 1: the header must be 'email,full_name'"),
        (b"email,full_name\n", "the file lists nobody"),
        ("email,full_name\nzoë@example.test,Zoë\n".encode("latin-1"), "not UTF-8"),
        (b"", "row 1: the header must be"),
    ],
)
def test_malformed_files_are_refused(data, message):
    with pytest.raises(RosterError) as refused:
        parse_roster(data)
    assert any(message in problem for problem in refused.value.problems)


def test_an_open_invitation_blocks_a_second_one(client, login_as, team, session):
    login_as(team.coordinator)
    assert (
        _upload(client, team.cohort_id, b"email,full_name\nsam@example.test,Sam S\n").status_code
        == 200
    )
    again = _upload(client, team.cohort_id, b"email,full_name\nsam@example.test,Sam S\n")
    assert again.status_code == 422
    assert "row 2: sam@example.test already has an open invitation" in again.get_data(as_text=True)
    assert _invitations(session) == 1


def test_a_coordinator_cannot_import_into_another_cohort(client, login_as, team, session):
    login_as(team.coordinator)
    assert (
        _upload(client, team.other_cohort_id, b"email,full_name\nz@example.test,Z Z\n").status_code
        == 404
    )
    assert _invitations(session) == 0


def test_the_import_command_shares_the_rules(app, team, session, tmp_path, outbox):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from app.coordination.cli import import_command

    bad = tmp_path / "bad.csv"
    bad.write_text("email,full_name\nok@example.test,Ok\nbroken,Broken\n")
    result = CliRunner().invoke(
        import_command,
        [str(team.cohort_id), str(bad), "--by", team.coordinator.email],
        obj=ScriptInfo(create_app=lambda: app),
    )
    assert result.exit_code == 1
    assert "row 3" in result.output
    assert "nothing was imported" in result.output
    assert _invitations(session) == 0
    good = tmp_path / "good.csv"
    good.write_text("email,full_name\nok@example.test,Ok Person\n")
    result = CliRunner().invoke(
        import_command,
        [str(team.cohort_id), str(good), "--by", team.coordinator.email],
        obj=ScriptInfo(create_app=lambda: app),
    )
    assert result.exit_code == 0, result.output
    assert "invited ok@example.test" in result.output
    assert [n.to for n in outbox] == ["ok@example.test"]
