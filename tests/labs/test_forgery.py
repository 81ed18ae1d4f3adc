"""Plausible shortcuts through backup-verify and slow-query, each of which must fail its checks.

Each test sets a lab up in a real sandbox, forges the evidence the way a hurried trainee might,
and runs the lab's own checks against it."""

from __future__ import annotations

import pytest

from app.content.labs import Lab
from app.labs.checks import CheckRunner
from app.labs.values import draw_values
from tests.labs.conftest import RealSandbox, real_lab

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def outcomes(
    sandbox: RealSandbox, *check_ids: str, answers: dict[str, str] | None = None
) -> dict[str, str]:
    """Run some of the lab's checks now and return their outcomes."""
    runner = CheckRunner(sandbox.execute, sandbox.values, "forgery")
    checks = {c.id: c for c in sandbox.lab.checks}
    results = {cid: runner.run(checks[cid], (answers or {}).get(cid)) for cid in check_ids}
    return {cid: r.outcome for cid, r in results.items()}


def ok(result) -> None:
    assert result.exit_code == 0, f"{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def backup_lab() -> Lab:
    return real_lab("backup-verify")


@pytest.fixture(scope="module")
def slow_lab() -> Lab:
    return real_lab("slow-query")


FAKE_SET = "/var/backups/impactlink/20991231-235959-database-drill"
SUMS = "sha256sum impactlink_prod.dump >SHA256SUMS"
PSQL = "psql -X -q -v ON_ERROR_STOP=1 -d impactlink_prod"
ANALYZE = "-c 'ANALYZE donations'"


def test_an_empty_backup_with_matching_checksums_fails(make_sandbox, backup_lab):
    sandbox = make_sandbox(backup_lab)
    ok(
        sandbox.sh(
            f"mkdir -p {FAKE_SET} && cd {FAKE_SET} && : >impactlink_prod.dump && {SUMS}",
            "impactlink",
        )
    )
    assert outcomes(sandbox, "dump-has-marker", "checksums-match") == {
        "dump-has-marker": "failed",
        "checksums-match": "failed",
    }


def test_a_hand_made_dump_holding_the_marker_fails(make_sandbox, backup_lab):
    sandbox = make_sandbox(backup_lab)
    marker = sandbox.values["marker"]
    ok(
        sandbox.sh(
            f"mkdir -p {FAKE_SET} && cd {FAKE_SET} && "
            f"printf 'COPY donations FROM stdin;\\npi_drill_{marker}\\n' >impactlink_prod.dump && "
            "sha256sum impactlink_prod.dump >SHA256SUMS",
            "impactlink",
        )
    )
    assert outcomes(sandbox, "dump-has-marker", "checksums-match") == {
        "dump-has-marker": "failed",
        "checksums-match": "failed",
    }


def test_a_checksum_that_matches_a_real_dump_of_the_wrong_database_fails(make_sandbox, backup_lab):
    sandbox = make_sandbox(backup_lab)
    ok(
        sandbox.sh(
            "createdb decoy && psql -X -q -d decoy -c 'CREATE TABLE donations (note text)' && "
            f"mkdir -p {FAKE_SET} && cd {FAKE_SET} && "
            "pg_dump -Fc -d decoy -f impactlink_prod.dump && "
            "sha256sum impactlink_prod.dump >SHA256SUMS",
            "impactlink",
        )
    )
    assert outcomes(sandbox, "dump-has-marker", "checksums-match") == {
        "dump-has-marker": "failed",
        "checksums-match": "failed",
    }


def test_a_scratch_database_with_a_hand_inserted_marker_fails(make_sandbox, backup_lab):
    sandbox = make_sandbox(backup_lab)
    marker, amount = sandbox.values["marker"], sandbox.values["amount"]
    ok(sandbox.sh("~/scripts/backup.sh database --label drill", "impactlink"))
    ok(
        sandbox.sh(
            "createdb impactlink_verify && psql -X -q -v ON_ERROR_STOP=1 -d impactlink_verify -c "  # noqa: S608
            "'CREATE TABLE users (); CREATE TABLE charities (); CREATE TABLE projects ();' -c "
            "'CREATE TABLE donations (amount numeric(12,2), stripe_payment_intent_id text)' -c "
            f"\"INSERT INTO donations VALUES ({amount}, 'pi_drill_{marker}')\"",
            "impactlink",
        )
    )
    result = outcomes(
        sandbox,
        "dump-has-marker",
        "scratch-restored",
        "marker-amount",
        answers={"marker-amount": str(amount)},
    )
    assert result == {
        "dump-has-marker": "passed",
        "scratch-restored": "failed",
        "marker-amount": "passed",
    }


def test_an_answer_copied_from_another_session_fails(make_sandbox, backup_lab):
    sandbox = make_sandbox(backup_lab, seed=7)
    other = draw_values(backup_lab.values, 8)
    assert other["amount"] != sandbox.values["amount"]
    assert outcomes(sandbox, "marker-amount", answers={"marker-amount": str(other["amount"])}) == {
        "marker-amount": "failed"
    }


def seed_for(lab: Lab, column: str) -> int:
    """Return a seed whose session's slow query filters on column."""
    return next(seed for seed in range(100) if draw_values(lab.values, seed)["column"] == column)


INDEX_CHECKS = ("index-on-column", "planner-uses-index")


@pytest.mark.parametrize("wrong", ["created_at", "donor_id", "project_id"])
def test_an_index_on_the_wrong_column_fails(make_sandbox, slow_lab, wrong):
    sandbox = make_sandbox(slow_lab, seed=seed_for(slow_lab, "charity_id"))
    ok(
        sandbox.sh(
            f"{PSQL} -c 'CREATE INDEX wrong_idx ON donations ({wrong}, created_at)' {ANALYZE}",
            "impactlink",
        )
    )
    assert outcomes(sandbox, *INDEX_CHECKS) == {
        "index-on-column": "failed",
        "planner-uses-index": "failed",
    }


def test_forcing_the_planner_onto_a_wrong_index_fails(make_sandbox, slow_lab):
    sandbox = make_sandbox(slow_lab, seed=seed_for(slow_lab, "donor_id"))
    ok(
        sandbox.sh(
            "psql -X -q -d impactlink_prod -c 'CREATE INDEX by_date ON donations (created_at)' "
            "-c 'ALTER DATABASE impactlink_prod SET enable_seqscan = off' -c 'ANALYZE donations'",
            "impactlink",
        )
    )
    assert outcomes(sandbox, *INDEX_CHECKS) == {
        "index-on-column": "failed",
        "planner-uses-index": "failed",
    }


def test_an_invalid_index_on_the_right_column_fails(make_sandbox, slow_lab):
    sandbox = make_sandbox(slow_lab, seed=seed_for(slow_lab, "donor_id"))
    ok(
        sandbox.sh(
            f"runuser -u postgres -- {PSQL} -c 'CREATE INDEX half_built ON donations (donor_id)' "  # noqa: S608
            '-c "UPDATE pg_index SET indisvalid = false '
            "WHERE indexrelid = 'half_built'::regclass\""
        )
    )
    assert outcomes(sandbox, *INDEX_CHECKS) == {
        "index-on-column": "failed",
        "planner-uses-index": "failed",
    }


def test_the_right_index_passes_and_a_copied_call_count_does_not(make_sandbox, slow_lab):
    sandbox = make_sandbox(slow_lab, seed=seed_for(slow_lab, "charity_id"))
    column = sandbox.values["column"]
    ok(
        sandbox.sh(
            f"{PSQL} -c 'CREATE INDEX right_idx ON donations ({column}, created_at DESC)' "
            f"{ANALYZE}",
            "impactlink",
        )
    )
    assert outcomes(sandbox, *INDEX_CHECKS) == {
        "index-on-column": "passed",
        "planner-uses-index": "passed",
    }
    calls = sandbox.values["calls"]
    copied = str(calls + 40 if calls < 400 else calls - 40)
    assert outcomes(sandbox, "slow-query-calls", answers={"slow-query-calls": copied}) == {
        "slow-query-calls": "failed"
    }
    assert outcomes(sandbox, "slow-query-calls", answers={"slow-query-calls": str(calls)}) == {
        "slow-query-calls": "passed"
    }
    assert outcomes(sandbox, "plan-index-name", answers={"plan-index-name": "right_idx"}) == {
        "plan-index-name": "passed"
    }
