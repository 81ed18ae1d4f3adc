"""deploy-staging: shortcuts around the deployment script must not pass its checks."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SET_TTL = 'sed -i "s/^CACHE_TTL_CHARITIES=.*/CACHE_TTL_CHARITIES=$((LAB_TTL_MINUTES * 60))/" .env'
HAND_DEPLOY = f"""\
cd ~/app && git checkout -q v1.1.0
psql -X -q -v ON_ERROR_STOP=1 -U impactlink -d impactlink_prod \
  -c 'ALTER TABLE charities ADD COLUMN section18a_approved boolean NOT NULL DEFAULT false' \
  -c 'ALTER TABLE charities ADD COLUMN section18a_approved_at date'
{SET_TTL}
sudo systemctl restart impactlink-api
impactlink-ready --wait 20
echo "$(date -Is) deploy v1.1.0 ok $(git rev-parse --short HEAD)" >>~/.deploy-history
"""


def test_a_release_checked_out_and_migrated_by_hand_fails(bench):
    box = bench("deploy-staging")
    box.run(HAND_DEPLOY)
    assert box.outcomes(
        "health-v110",
        "cache-ttl-live",
        "deployed-with-script",
        "migration-applied",
        "section18a-served",
    ) == {
        # The API really runs 1.1.0 with the new setting ...
        "health-v110": "passed",
        "cache-ttl-live": "passed",
        # ... but no pre-deploy backup, no migration record, no backfill.
        "deployed-with-script": "failed",
        "migration-applied": "failed",
        "section18a-served": "failed",
    }


def test_an_unrestarted_setting_and_an_invented_rollback_fail(bench):
    box = bench("deploy-staging")
    box.run("~/scripts/deploy.sh v1.1.0")
    box.run(f"cd ~/app && {SET_TTL}")
    box.run(
        "cd ~/app && h=$(git rev-parse --short HEAD) && "
        'printf "%s deploy v1.2.0 FAILED %s\\n%s rollback v1.1.0 ok %s\\n" '
        '"$(date -Is)" "$h" "$(date -Is)" "$h" >>~/.deploy-history'
    )
    assert box.outcomes(
        "deployed-with-script", "migration-applied", "cache-ttl-live", "v120-rolled-back"
    ) == {
        "deployed-with-script": "passed",
        "migration-applied": "passed",
        # .env says the right thing, the running API does not.
        "cache-ttl-live": "failed",
        # The history says v1.2.0 was tried, the database says its migration never ran.
        "v120-rolled-back": "failed",
    }
