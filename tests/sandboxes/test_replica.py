"""The replica behaves like production where the lessons say so (issue 12, item 1).

A real two-host sandbox from the built image: the API restarts on failure and gives up after a
crash loop, listens on loopback only, limits logins in Redis, reports its feature flags, keeps
its logs 0640 and rotated by a timer, sees steady traffic, takes SSH key logins, and lets a host
manage its firewall only when its lab says `net_admin: true`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from app.content.errors import Problems
from app.content.labs import read_lab
from app.sandboxes.run_options import run_options
from app.sandboxes.runtime import DockerRuntime, HostSpec, Limits
from tests.sandboxes.conftest import DOMAIN, IMAGE, wait_until

ROOT = Path(__file__).resolve().parents[2]
TWO_HOSTS = [
    HostSpec("prod", IMAGE, "impactlink-prod"),
    HostSpec("staging", IMAGE, "impactlink-staging"),
]
API = f"https://{DOMAIN}/api/v1"
ENV_FILE = "/home/impactlink/app/.env"
REDIS_AUTH = f"export REDISCLI_AUTH=$(sed -n 's/^REDIS_PASSWORD=//p' {ENV_FILE})"


@pytest.fixture(scope="module")
def pair(runtime: DockerRuntime, sandbox_app) -> Iterator[str]:
    """Two hosts of the image on one sandbox network."""
    sandbox_id = uuid.uuid4().hex
    runtime.create(
        sandbox_id, TWO_HOSTS, Limits.from_settings(sandbox_app.config["ACADEMY"]), False
    )
    try:
        assert runtime.wait_ready(sandbox_id, 120), "the two-host sandbox never became ready"
        yield sandbox_id
    finally:
        runtime.destroy(sandbox_id)


def sh(runtime: DockerRuntime, sandbox_id: str, script: str, host: str = "prod", **kw):
    """Run a line of shell on a host (root unless user= says otherwise)."""
    return runtime.exec(
        sandbox_id, host, ["bash", "-c", script], timeout=kw.pop("timeout", 60), **kw
    )


def env_value(runtime: DockerRuntime, sandbox_id: str, key: str) -> str:
    return sh(runtime, sandbox_id, f"sed -n 's/^{key}=//p' {ENV_FILE}").stdout.strip()


def restart_api(runtime: DockerRuntime, sandbox_id: str) -> None:
    result = sh(
        runtime, sandbox_id, "systemctl restart impactlink-api && impactlink-ready --wait 60"
    )
    assert result.ok, result.stdout + result.stderr


# -- systemd-like restarts -------------------------------------------------------------------


@pytest.mark.docker
def test_a_crash_loop_is_restarted_then_left_failed(runtime, pair):
    broken = sh(
        runtime,
        pair,
        f"sed -i 's/^JWT_SECRET=/BROKEN_JWT_SECRET=/' {ENV_FILE}"
        " && systemctl restart impactlink-api",
    )
    assert broken.ok, broken.stderr
    try:
        # While it loops the unit is between starts, with a growing counter.
        looping = wait_until(
            lambda: (
                "activating (auto-restart)"
                in (s := sh(runtime, pair, "systemctl status impactlink-api").stdout)
                and s
            ),
            20,
            "the API waiting to be restarted",
        )
        assert "Restarts: " in looping
        # Five starts in 60 s at most (2 s apart): then it stays failed.
        wait_until(
            lambda: (
                sh(runtime, pair, "systemctl is-failed impactlink-api").stdout.strip() == "failed"
            ),
            45,
            "the start limit",
        )
        journal = sh(runtime, pair, "journalctl -u impactlink-api -n 200").stdout
        for n in range(1, 6):
            assert f"Scheduled restart job, restart counter is at {n}." in journal
        assert "restart counter is at 6" not in journal
        assert "Start request repeated too quickly." in journal
        assert "missing required configuration" in journal
        status = sh(runtime, pair, "systemctl status impactlink-api")
        assert status.exit_code == 3
        assert "failed (Result: start-limit-hit)" in status.stdout
        assert "Restarts: 5" in status.stdout
        time.sleep(3)
        assert sh(runtime, pair, "pgrep -x node").exit_code == 1, "nothing restarts it any more"
    finally:
        sh(runtime, pair, f"sed -i 's/^BROKEN_JWT_SECRET=/JWT_SECRET=/' {ENV_FILE}")
        restart_api(runtime, pair)
    assert "Restarts: 0" in sh(runtime, pair, "systemctl status impactlink-api").stdout


@pytest.mark.docker
def test_a_killed_api_comes_back_but_a_clean_stop_stays_stopped(runtime, pair):
    before = sh(runtime, pair, "cat /run/impactlink/impactlink-api.pid").stdout.strip()
    assert sh(runtime, pair, f"kill -9 {before}").ok
    wait_until(
        lambda: sh(runtime, pair, "impactlink-ready").ok, 30, "the API restarted after SIGKILL"
    )
    after = sh(runtime, pair, "cat /run/impactlink/impactlink-api.pid").stdout.strip()
    assert after != before
    assert "code=killed, status=9/KILL" in sh(runtime, pair, "journalctl -u impactlink-api").stdout
    try:
        assert sh(runtime, pair, "systemctl stop impactlink-api").ok
        time.sleep(3.5)
        state = sh(runtime, pair, "systemctl is-active impactlink-api").stdout.strip()
        assert state == "inactive"
        assert sh(runtime, pair, "pgrep -x node").exit_code == 1
    finally:
        restart_api(runtime, pair)


# -- the API behind Nginx ---------------------------------------------------------------------


@pytest.mark.docker
def test_the_api_listens_on_loopback_only(runtime, pair):
    listening = sh(runtime, pair, "ss -ltnH 'sport = :5000'").stdout.split()
    assert "127.0.0.1:5000" in listening
    prod_ip = sh(runtime, pair, "getent ahostsv4 prod | awk 'NR == 1 {print $1}'", host="staging")
    address = prod_ip.stdout.strip()
    assert address
    direct = sh(
        runtime,
        pair,
        f"curl -sS --max-time 5 -o /dev/null -w '%{{http_code}}' http://{address}:5000/api/v1/health",
        host="staging",
    )
    assert direct.exit_code != 0
    assert direct.stdout == "000"
    proxied = sh(
        runtime,
        pair,
        f"curl -sS --max-time 5 --resolve {DOMAIN}:443:{address} {API}/health",
        host="staging",
    )
    assert proxied.ok, proxied.stderr
    assert json.loads(proxied.stdout)["status"] == "ok"


def _verify_jwt(token: str, secret: str) -> dict:
    header, payload, signature = token.split(".")
    expected = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    padded = signature + "=" * (-len(signature) % 4)
    assert hmac.compare_digest(base64.urlsafe_b64decode(padded), expected)
    claims: dict = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


def _post_login(runtime, sandbox_id, email, password, host="prod", resolve="", xff=""):
    body = json.dumps({"email": email, "password": password})
    forwarded = f"-H 'X-Forwarded-For: {xff}'" if xff else ""
    result = sh(
        runtime,
        sandbox_id,
        f"curl -sS --max-time 10 {resolve} -D /dev/stderr -H 'Content-Type: application/json' "
        f"{forwarded} -d '{body}' {API}/auth/login",
        host=host,
    )
    status = int(result.stderr.split()[1])
    headers = {
        line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip()
        for line in result.stderr.splitlines()
        if ":" in line
    }
    return status, headers, json.loads(result.stdout or "{}")


@pytest.mark.docker
def test_login_signs_a_token_and_is_rate_limited_per_real_client(runtime, pair):
    password = sh(runtime, pair, "cat /etc/impactlink/seed-password").stdout.strip()
    email = sh(
        runtime,
        pair,
        "runuser -u postgres -- psql -XAt -d impactlink_prod "
        "-c \"SELECT email FROM users WHERE user_type = 'donor' ORDER BY created_at LIMIT 1\"",
    ).stdout.strip()
    status, _, body = _post_login(runtime, pair, email, password)
    assert status == 200
    claims = _verify_jwt(body["token"], env_value(runtime, pair, "JWT_SECRET"))
    assert claims["email"] == email
    assert claims["exp"] > time.time()

    # From staging, through prod's Nginx over the network: the limit counts staging's address,
    # whatever X-Forwarded-For the client sends.
    prod_ip = sh(runtime, pair, "getent ahostsv4 prod | awk 'NR == 1 {print $1}'", host="staging")
    resolve = f"--resolve {DOMAIN}:443:{prod_ip.stdout.strip()}"
    limit = int(env_value(runtime, pair, "RATE_LIMIT_LOGIN_PER_MINUTE"))
    assert limit == 5
    codes = []
    for n in range(limit + 2):
        status, headers, body = _post_login(
            runtime,
            pair,
            f"nobody{n}-{uuid.uuid4().hex[:6]}@example.org",
            "wrong",
            "staging",
            resolve,
            xff="203.0.113.77",
        )
        codes.append(status)
    assert codes == [401] * limit + [429, 429]
    assert 1 <= int(headers["retry-after"]) <= 60
    staging_ip = sh(runtime, pair, "hostname -i", host="staging").stdout.split()[0]
    keys = sh(
        runtime,
        pair,
        f"{REDIS_AUTH}; redis-cli --scan --pattern 'ratelimit:login:ip:*'",
    ).stdout.split()
    assert f"ratelimit:login:ip:{staging_ip}" in keys
    assert "ratelimit:login:ip:203.0.113.77" not in keys
    # Per e-mail too: the same account from a new address is refused after the limit.
    account = f"victim-{uuid.uuid4().hex[:6]}@example.org"
    seen = [_post_login(runtime, pair, account, "wrong")[0] for _ in range(limit + 1)]
    assert seen[-1] == 429


@pytest.mark.docker
def test_feature_flags_are_reported_and_switch_routes_off(runtime, pair):
    health = json.loads(sh(runtime, pair, f"curl -sS {API}/health").stdout)
    assert health["features"] == {
        "password_reset": True,
        "recurring_donations": True,
        "registration": True,
    }
    reset = (
        "curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json'"
        f' -d \'{{"email":"a@example.org"}}\' {API}/auth/password-reset'
    )
    assert sh(runtime, pair, reset).stdout == "202"
    sh(
        runtime,
        pair,
        f"sed -i 's/^ENABLE_PASSWORD_RESET=.*/ENABLE_PASSWORD_RESET=false/' {ENV_FILE}",
    )
    try:
        restart_api(runtime, pair)
        health = json.loads(sh(runtime, pair, f"curl -sS {API}/health").stdout)
        assert health["features"]["password_reset"] is False
        assert health["features"]["registration"] is True
        assert sh(runtime, pair, reset).stdout == "404"
    finally:
        sh(
            runtime,
            pair,
            f"sed -i 's/^ENABLE_PASSWORD_RESET=.*/ENABLE_PASSWORD_RESET=true/' {ENV_FILE}",
        )
        restart_api(runtime, pair)


@pytest.mark.docker
def test_redis_holds_lists_profiles_sessions_and_counters(runtime, pair):
    user_id = sh(
        runtime,
        pair,
        "runuser -u postgres -- psql -XAt -d impactlink_prod -c 'SELECT id FROM users LIMIT 1'",
    ).stdout.strip()
    for path in ("charities?page=7", "projects?page=9", f"users/{user_id}", "stats"):
        first = sh(runtime, pair, f"curl -sS -D - -o /dev/null {API}/{path}").stdout.lower()
        second = sh(runtime, pair, f"curl -sS -D - -o /dev/null {API}/{path}").stdout.lower()
        assert "x-cache: hit" in second, f"{path}: {first} / {second}"
    ttls = sh(
        runtime,
        pair,
        f"{REDIS_AUTH}; for k in charities:list:*:*:7:20 users:profile:{user_id} stats:platform;"
        " do redis-cli TTL $k; done",
    ).stdout.split()
    assert 7000 < int(ttls[0]) <= 7200
    assert 3500 < int(ttls[1]) <= 3600
    assert 250 < int(ttls[2]) <= 300


# -- logs, timers, traffic --------------------------------------------------------------------


@pytest.mark.docker
def test_log_files_are_0640_and_rotated_by_a_daily_timer(runtime, pair):
    modes = sh(runtime, pair, "stat -c '%a %U %G %n' /var/log/impactlink/*.log").stdout.splitlines()
    assert len(modes) >= 8
    assert all(line.startswith("640 impactlink adm ") for line in modes), modes
    timers = sh(runtime, pair, "systemctl list-timers")
    assert timers.ok
    assert "logrotate.timer" in timers.stdout
    assert "logrotate.service" in timers.stdout
    status = sh(runtime, pair, "systemctl status logrotate.timer")
    assert status.ok
    assert "active (waiting)" in status.stdout
    # Rotation (what the timer runs) keeps the files and their mode; a new script log is 0640.
    rotated = sh(
        runtime,
        pair,
        "logrotate -f /etc/logrotate.d/impactlink && stat -c '%a' /var/log/impactlink/access.log",
    )
    assert rotated.ok, rotated.stderr
    assert rotated.stdout.strip() == "640"
    # Files the API creates itself (here after they were deleted) are 0640 too (UMask=0027).
    recreated = sh(
        runtime,
        pair,
        "systemctl stop impactlink-api && cd /var/log/impactlink && rm app.log error.log"
        " && systemctl start impactlink-api && impactlink-ready --wait 60"
        " && stat -c '%a %U' /var/log/impactlink/app.log /var/log/impactlink/error.log",
    )
    assert recreated.ok, recreated.stderr
    assert recreated.stdout.split() == ["640", "impactlink", "640", "impactlink"]


@pytest.mark.docker
def test_background_traffic_moves_the_access_log_and_stops_cleanly(runtime, pair):
    assert sh(runtime, pair, "systemctl is-active impactlink-traffic").stdout.strip() == "active"
    count = "grep -c 'ImpactLink-Web' /var/log/nginx/access.log"
    before = int(sh(runtime, pair, count).stdout)
    time.sleep(5)
    grown = int(sh(runtime, pair, count).stdout) - before
    assert 2 <= grown <= 10, grown
    usage = sh(runtime, pair, "ps -o rss=,pcpu= -C impactlink-traffic -C curl").stdout.split()
    assert sum(int(rss) for rss in usage[0::2]) < 30_000, usage
    try:
        assert sh(runtime, pair, "systemctl stop impactlink-traffic").ok
        settled = int(sh(runtime, pair, count).stdout)
        time.sleep(3)
        assert int(sh(runtime, pair, count).stdout) == settled
        assert sh(runtime, pair, "pgrep -x impactlink-traf").exit_code == 1
    finally:
        sh(runtime, pair, "systemctl start impactlink-traffic")


# -- SSH, monitoring, firewall ------------------------------------------------------------------


@pytest.mark.docker
def test_ssh_key_login_to_itself_and_reload(runtime, pair):
    login = sh(
        runtime,
        pair,
        "ssh -i ~/.ssh/id_ed25519 -o BatchMode=yes impactlink@127.0.0.1 'id -un; hostname'",
        user="impactlink",
        workdir="/home/impactlink",
        env={"HOME": "/home/impactlink"},
    )
    assert login.ok, login.stderr
    assert login.stdout.split() == ["impactlink", "impactlink-prod"]
    assert sh(runtime, pair, "readlink -f /etc/ssh/sshd_config").stdout.strip().startswith("/srv/")
    assert sh(runtime, pair, "systemctl reload ssh && systemctl restart ssh").ok
    assert "Accepted publickey for impactlink" in sh(runtime, pair, "cat /var/log/auth.log").stdout
    again = sh(
        runtime,
        pair,
        "ssh -i ~/.ssh/id_ed25519 -o BatchMode=yes impactlink@127.0.0.1 true",
        user="impactlink",
        env={"HOME": "/home/impactlink"},
    )
    assert again.ok, again.stderr


@pytest.mark.docker
def test_netdata_and_node_exporter_start_on_demand(runtime, pair):
    assert sh(runtime, pair, "systemctl is-active netdata").stdout.strip() == "inactive"
    try:
        assert sh(runtime, pair, "systemctl start netdata node-exporter").ok
        dashboard = wait_until(
            lambda: (
                (r := sh(runtime, pair, "curl -sf http://127.0.0.1:19999/api/v1/info")).ok
                and r.stdout.startswith("{")
                and r
            ),
            30,
            "the Netdata dashboard",
        )
        assert json.loads(dashboard.stdout)["version"].startswith("v1.37")
        page = sh(runtime, pair, "curl -s http://127.0.0.1:19999/ | grep -c -i netdata")
        assert int(page.stdout) > 0
        listening = sh(runtime, pair, "ss -ltnH 'sport = :19999'").stdout
        assert "0.0.0.0:19999" in listening
        metrics = wait_until(
            lambda: (
                (r := sh(runtime, pair, "curl -sf http://127.0.0.1:9100/metrics")).ok
                and "node_load1" in r.stdout
                and r
            ),
            30,
            "the node exporter",
        )
        assert "node_load1" in metrics.stdout
    finally:
        sh(runtime, pair, "systemctl stop netdata node-exporter")


@pytest.mark.docker
def test_nft_needs_a_net_admin_host(runtime, pair):
    refused = sh(runtime, pair, "nft list ruleset")
    assert refused.exit_code != 0
    assert "Operation not permitted" in refused.stderr
    assert sh(runtime, pair, "systemctl restart nftables").exit_code == 1
    assert "NET_ADMIN" not in run_options(IMAGE).cap_add
    # The same image, run exactly as run_options says for a `net_admin: true` host.
    options = run_options(IMAGE, net_admin=True)
    assert "NET_ADMIN" in options.cap_add
    api = runtime.api
    name = f"replica-netadmin-{uuid.uuid4().hex[:8]}"
    host_config = api.create_host_config(
        network_mode="none",
        read_only=True,
        tmpfs={**options.tmpfs, "/srv": "rw,nosuid,nodev,exec,size=512m,mode=755"},
        extra_hosts=dict(options.extra_hosts),
        cap_drop=["ALL"],
        cap_add=list(options.cap_add),
        mem_limit="768m",
        pids_limit=512,
    )
    container = api.create_container(
        IMAGE, name=name, host_config=host_config, labels={"academy.test": "replica"}
    )
    try:
        api.start(container["Id"])

        def run(script: str) -> tuple[int, str]:
            exec_id = api.exec_create(container["Id"], ["bash", "-c", script])
            out = api.exec_start(exec_id).decode()
            return api.exec_inspect(exec_id)["ExitCode"], out

        wait_until(lambda: run("impactlink-ready")[0] == 0, 90, "the net_admin host")
        code, out = run("systemctl is-active nftables; nft list ruleset")
        assert code == 0, out
        assert out.startswith("active")
        assert "policy accept" in out
        code, out = run(
            "sed -i --follow-symlinks 's/chain input {/chain input {\\n    tcp dport 8081 drop/'"
            " /etc/nftables.conf"
            " && systemctl restart nftables && nft list ruleset"
        )
        assert code == 0, out
        assert "tcp dport 8081 drop" in out
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_container(container["Id"], force=True, v=True)


def test_net_admin_is_read_from_lab_yaml_and_must_be_a_boolean(tmp_path):
    folder = tmp_path / "outage-502"
    shutil.copytree(ROOT / "labs" / "outage-502", folder)
    lab_yaml = folder / "lab.yaml"
    text = lab_yaml.read_text()
    anchor = "    hostname: impactlink-prod\n"
    assert anchor in text
    lab_yaml.write_text(text.replace(anchor, anchor + "    net_admin: true\n", 1))
    problems = Problems(tmp_path)
    lab = read_lab(folder, problems)
    assert lab is not None
    assert [h.net_admin for h in lab.hosts] == [True]

    lab_yaml.write_text(text.replace(anchor, anchor + "    net_admin: sometimes\n", 1))
    problems = Problems(tmp_path)
    read_lab(folder, problems)
    messages = [str(p) for p in problems.items]
    line = text.splitlines().index(anchor.rstrip("\n")) + 2
    assert any(
        f"lab.yaml:{line}" in m and "'net_admin' must be true or false" in m for m in messages
    ), messages

    problems = Problems(tmp_path)
    lab_yaml.write_text(text)
    plain = read_lab(folder, problems)
    assert plain is not None
    assert [h.net_admin for h in plain.hosts] == [False]
