"""security-alert: half a rotation, deleted logs and a refusing login location must fail."""

from __future__ import annotations

import pytest

from tests.labs_forgery.conftest import API_LOCATION

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ENV_ONLY = r"""
cd ~/app
NEW=$(openssl rand -hex 24)
sed -i -E "s#^(DATABASE_URL=postgres(ql)?://[^:]+:)[^@]*@#\1${NEW}@#" .env
sudo systemctl restart impactlink-api
"""
DELETE_LOGS = """
cd /var/log/impactlink
sudo rm -f app.log service.log app.log-*.gz
sudo sh -c ': >/var/log/nginx/access.log'
"""
ZONE = "limit_req_zone $binary_remote_addr zone=login:10m rate=5r/m;\n"
REFUSING_LOGIN = """\
    location = /api/v1/auth/login {
        limit_req zone=login burst=3 nodelay;
        return 429;
    }

"""
LIMITED_API = API_LOCATION + "        limit_req zone=login burst=3 nodelay;\n"


def test_a_new_password_only_in_env_and_deleted_logs_fail(bench):
    box = bench("security-alert")
    box.run(ENV_ONLY)
    # PostgreSQL still has the leaked password: it works, and the one in .env does not.
    assert box.outcomes("old-password-dead", "password-rotated") == {
        "old-password-dead": "failed",
        "password-rotated": "failed",
    }
    box.run(DELETE_LOGS)
    assert box.outcomes("logs-scrubbed", "evidence-kept") == {
        "logs-scrubbed": "failed",
        "evidence-kept": "failed",
    }


def test_a_login_location_that_refuses_everything_or_a_limit_on_the_whole_api_fails(bench):
    box = bench("security-alert")
    box.edit_nginx_site(
        lambda site: ZONE + site.replace(API_LOCATION, REFUSING_LOGIN + API_LOCATION)
    )
    assert box.outcomes("login-rate-limited") == {"login-rate-limited": "failed"}
    # Now it proxies, but the same limit also throttles every other API path.
    box.edit_nginx_site(
        lambda site: site.replace("return 429;", "proxy_pass http://impactlink_api;").replace(
            API_LOCATION, LIMITED_API
        )
    )
    assert box.outcomes("login-rate-limited") == {"login-rate-limited": "failed"}


def test_redacting_with_sed_in_place_under_a_running_api_fails(bench):
    box = bench("security-alert")
    box.solve_step()
    assert box.outcomes("logs-scrubbed") == {"logs-scrubbed": "passed"}
    # sed -i writes a new file; the API keeps appending to the old, deleted one.
    box.run("sudo sed -i 's/connected/connected/' /var/log/impactlink/app.log")
    assert box.outcomes("logs-scrubbed") == {"logs-scrubbed": "failed"}
