"""outage-502: a green monitor is not a fixed outage."""

from __future__ import annotations

import pytest

from app.labs.values import draw_values
from tests.labs_forgery.conftest import API_LOCATION

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HEALTH_URL = "https://impactlink.solovedhelpinghands.org.za/api/v1/health"
STATIC_HEALTH = """\
    location = /api/v1/health {
        default_type application/json;
        return 200 '{"status":"ok","version":"1.0.0","database":"ok","cache":"ok"}';
    }

"""


def test_nginx_answering_health_itself_fails(bench):
    box = bench("outage-502", fault="upstream-port")
    box.edit_nginx_site(lambda site: site.replace(API_LOCATION, STATIC_HEALTH + API_LOCATION))
    assert box.run(f"curl -s -o /dev/null -w '%{{http_code}}' {HEALTH_URL}") == "200"
    assert box.outcomes("real-api", "fixed-at-cause") == {
        "real-api": "failed",
        "fixed-at-cause": "failed",
    }


def test_following_the_moved_api_and_a_copied_answer_fail(bench):
    box = bench("outage-502", fault="api-port")
    port = str(box.values["port"])
    # A working site again, but Nginx now chases the API's wrong port instead of fixing .env.
    box.edit_nginx_site(lambda site: site.replace("127.0.0.1:5000;", f"127.0.0.1:{port};"))
    assert box.outcomes("real-api", "fixed-at-cause") == {
        "real-api": "passed",
        "fixed-at-cause": "failed",
    }

    theirs = next(
        str(v["port"])
        for v in (draw_values(box.lab.values, seed) for seed in range(1000))
        if v["fault"] == "api-port" and str(v["port"]) != port
    )
    assert box.outcomes("fault-value", answers={"fault-value": theirs}) == {"fault-value": "failed"}
    assert box.outcomes("fault-value", answers={"fault-value": port}) == {"fault-value": "passed"}
