"""Coordinators see only their own cohorts and trainees; trainees see none of it."""

from __future__ import annotations

from tests.conftest import csrf_token


def test_a_coordinator_sees_only_their_own_cohorts(client, login_as, team):
    login_as(team.coordinator)
    dashboard = client.get("/team").get_data(as_text=True)
    assert "Cohort A" in dashboard
    assert "Cohort B" not in dashboard
    assert client.get(f"/team/cohorts/{team.cohort_id}").status_code == 200
    for path in (
        f"/team/cohorts/{team.other_cohort_id}",
        f"/team/cohorts/{team.other_cohort_id}/matrix.csv",
        f"/team/cohorts/{team.other_cohort_id}/import",
        f"/team/trainees/{team.other_trainee.id}",
        f"/team/trainees/{team.coordinator.id}",
    ):
        assert client.get(path).status_code == 404, path


def test_an_admin_sees_every_cohort(client, login_as, team):
    login_as(team.admin)
    dashboard = client.get("/team").get_data(as_text=True)
    assert "Cohort A" in dashboard
    assert "Cohort B" in dashboard
    assert client.get(f"/team/trainees/{team.other_trainee.id}").status_code == 200


def test_trainees_are_kept_out(client, login_as, team):
    login_as(team.trainee)
    for path in (
        "/team",
        f"/team/cohorts/{team.cohort_id}",
        f"/team/trainees/{team.trainee.id}",
        "/team/approvals",
    ):
        assert client.get(path).status_code == 403, path


def test_coordinators_cannot_manage_cohorts(client, login_as, team):
    login_as(team.coordinator)
    assert client.get("/team/cohorts/new").status_code == 403
    token = csrf_token(client, "/team")
    response = client.post(
        f"/team/cohorts/{team.cohort_id}/coordinators",
        data={"user_id": team.other_coordinator.id, "csrf_token": token},
    )
    assert response.status_code == 403
    response = client.post(
        f"/team/cohorts/{team.cohort_id}/members",
        data={"email": team.other_trainee.email, "csrf_token": token},
    )
    assert response.status_code == 403


def test_the_trainee_page_shows_the_evidence(client, login_as, team, session, catalog):
    from tests.certification.conftest import pass_lab, sign

    pass_lab(team.trainee.id, "deploy-staging", catalog)
    sign(team.trainee, catalog)
    session.commit()
    login_as(team.coordinator)
    page = client.get(f"/team/trainees/{team.trainee.id}").get_data(as_text=True)
    for section in (
        "Sign-off checklist",
        "Attested work",
        "Every lesson",
        "Quiz attempts",
        "Every check run",
        "Terminal recordings",
        "Acknowledgment",
        "Audit trail",
    ):
        assert section in page, section
    assert "all tasks passed" in page
    assert "acknowledgment.signed" in page
