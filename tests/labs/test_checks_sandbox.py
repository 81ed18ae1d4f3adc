"""The check runner's contract in a real sandbox: every kind, passes, fails and errors, the
LAB_* environment, timeouts, and scripts that never land on the sandbox's disk."""

from __future__ import annotations

import dataclasses

import pytest

from app.content.labs import Check, ExpectRule, Script
from app.labs.checks import CheckRunner

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def probe_box(module_sandbox_maker, probe_catalog):
    """One set-up probe sandbox shared by this module."""
    return module_sandbox_maker(probe_catalog.sections["labs"]["probe"], seed=5)


def run(box, check: Check, answer: str | None = None):
    return CheckRunner(box.execute, box.values, "golden", box.probe).run(check, answer)


def shell(text: str, **fields) -> Check:
    base = {"id": "g", "task_id": "t", "kind": "shell", "host": "prod", "title": "G"}
    return Check(**{**base, "script": Script("inline", text), **fields})


def test_the_probe_lab_fails_before_and_passes_after_its_solution(probe_box):
    checks = {c.id: c for c in probe_box.lab.checks}
    before = {cid: run(probe_box, c).outcome for cid, c in checks.items()}
    assert before == {
        "marker-file": "failed",
        "marker-shell": "failed",
        "port-answer": "failed",
        "db-answers": "failed",
        "health": "passed",
        "flag-up": "failed",
    }
    shell_result = run(probe_box, checks["marker-shell"])
    assert shell_result.message == "The marker file is missing."
    assert shell_result.hints == ("echo the marker into it",)
    from app.labs.jobs import run_step

    solved = run_step(probe_box.execute, probe_box.lab.solve[0], probe_box.values, "golden")
    assert solved.exit_code == 0, solved.stderr
    port = str(probe_box.values["port"])
    after = {
        cid: run(probe_box, c, port if cid == "port-answer" else None).outcome
        for cid, c in checks.items()
    }
    assert set(after.values()) == {"passed"}
    assert run(probe_box, checks["port-answer"], "1").outcome == "failed"
    assert run(probe_box, checks["marker-shell"]).detail.endswith("bytes")


def test_scripts_get_only_their_inputs_and_leave_nothing_on_disk(probe_box):
    token = "never-on-disk-7d1c"
    result = run(
        probe_box,
        shell(
            f'[ -z "$LAB_PORT" ] && [ -n "$LAB_MARKER" ] && [ ! -e ~/.bashrc ] && echo {token}',
            inputs=("marker",),
        ),
    )
    assert result.outcome == "passed"
    assert token in result.output
    found = probe_box.sh(
        f"grep -rIl {token} /srv /tmp /var/tmp /home /root 2>/dev/null | head -n 3 || true"
    )
    assert found.stdout.strip() == ""


@pytest.mark.parametrize(
    ("script", "outcome"),
    [
        ("exit 0", "passed"),
        ("echo 'FAIL: still broken'; exit 0", "failed"),
        ("exit 1", "failed"),
        ("exit 3", "error"),
        ("no-such-command-here", "error"),
    ],
)
def test_shell_exit_status_rules(probe_box, script, outcome):
    assert run(probe_box, shell(script)).outcome == outcome


def test_a_check_that_overruns_its_timeout_is_an_error(probe_box):
    result = run(probe_box, shell("sleep 20", timeout=1))
    assert result.outcome == "error"
    assert "timed out" in result.detail
    assert result.seconds < 10


def test_checks_run_as_the_user_they_name(probe_box):
    assert (
        run(probe_box, shell('[ "$(id -un)" = impactlink ]', user="impactlink")).outcome == "passed"
    )
    assert run(probe_box, shell('[ "$(id -un)" = root ]')).outcome == "passed"


def kind(check_kind: str, **fields) -> Check:
    return Check(id="k", task_id="t", kind=check_kind, host="prod", title="K", **fields)


def test_sql_kind_against_postgres(probe_box):
    assert run(probe_box, kind("sql", query="SELECT 40 + 2", expect="42")).outcome == "passed"
    assert (
        run(probe_box, kind("sql", query="SELECT 1 UNION SELECT 2", expect_rows=2)).outcome
        == "passed"
    )
    missing = run(probe_box, kind("sql", query="SELECT * FROM nowhere", expect="1"))
    assert missing.outcome == "failed"
    assert "nowhere" in missing.message
    assert run(probe_box, kind("sql", query="SELEC 1", expect="1")).outcome == "error"


def test_http_kind_through_nginx_and_tls(probe_box):
    health = "https://impactlink.solovedhelpinghands.org.za/api/v1/health"
    assert run(
        probe_box, kind("http", url=health, status=200, body_contains=('"database":"ok"',))
    ).passed
    wrong = run(probe_box, kind("http", url=health.replace("/health", "/nope"), status=200))
    assert (wrong.outcome, "expected 200" in wrong.message) == ("failed", True)
    refused = run(probe_box, kind("http", url="http://127.0.0.1:9/", status=200))
    assert refused.outcome == "failed"
    assert "got no HTTP answer" in refused.message


def test_file_kind_reads_mode_owner_and_content(probe_box):
    env = kind(
        "file",
        path="/home/impactlink/app/.env",
        mode="0600",
        owner="impactlink",
        contains=("NODE_ENV=production",),
    )
    assert run(probe_box, env).passed
    assert run(probe_box, dataclasses.replace(env, mode="0644")).outcome == "failed"
    assert run(probe_box, kind("file", path="/etc/nothing-here", exists=False)).passed


def probe_check(text: str, **fields) -> Check:
    base = {"id": "p", "task_id": "t", "kind": "probe", "host": "prod", "title": "P"}
    return Check(**{**base, "script": Script("inline", text), **fields})


def observations(result) -> dict[str, str]:
    """Return the OBS lines a probe printed, by name."""
    return dict(
        line[4:].split(" ", 1) for line in result.output.splitlines() if line.startswith("OBS ")
    )


def test_the_probe_reads_the_hosts_disk_database_network_and_processes(probe_box):
    result = run(
        probe_box,
        probe_check(
            "obs port $(cat /var/tmp/probe-port)\n"
            "obs users $(hpsql impactlink_prod 'SELECT count(*) > 0 FROM users')\n"
            "obs health $(hcurl -s -o /dev/null -w '%{http_code}' "
            "https://$ACADEMY_DOMAIN/api/v1/health)\n"
            "obs nginx $(awk '$7 == \"nginx\"' $ACADEMY_RUN/ps | wc -l)\n"
            "obs inside $ACADEMY_PROBE_INSIDE\n"
            "touch /srv/written 2>/dev/null && obs writable yes || obs writable no\n",
        ),
    )
    observed = observations(result)
    assert observed["port"] == str(probe_box.values["port"])
    assert observed["users"] == "t"
    assert observed["health"] == "200"
    assert int(observed["nginx"]) >= 1
    assert observed["inside"] == "0"
    # The host's disk is read-only to the observer.
    assert observed["writable"] == "no"


def test_several_statements_share_one_connection_and_come_back_apart(probe_box):
    # A row that imitates a part's marker line cannot move rows between parts: the marker is a
    # token drawn for each call.
    result = run(
        probe_box,
        probe_check(
            "out=$(hpsql_each impactlink_prod 'SELECT 1' 'SELECT no_such_column FROM users' "
            "\"SELECT '@@ 1' UNION ALL SELECT 'b|c'\" "
            "'SELECT count(DISTINCT pg_backend_pid()) FROM users' 2>/dev/null)\n"
            'obs first "$(part 1 <<<"$out")"\n'
            'obs broken "[$(part 2 <<<"$out")]"\n'
            "obs third \"$(part 3 <<<\"$out\" | tr '\\n' ';')\"\n"
            'obs fourth "$(part 4 <<<"$out")"\n'
            "obs pids \"$(hpsql_each impactlink_prod 'SELECT pg_backend_pid()' "
            "'SELECT pg_backend_pid()' | sed 1d | grep -v '^@@' | sort -u | wc -l)\"\n",
        ),
    )
    observed = observations(result)
    assert observed["first"] == "1"
    assert observed["broken"] == "[]"  # a failing statement leaves its part empty ...
    assert observed["third"] == "@@ 1;b|c;"  # ... and the next ones still run
    assert observed["fourth"] == "1"
    assert observed["pids"] == "1"  # one backend answered both


def test_a_part_switches_only_on_a_line_of_exactly_the_token_and_a_number(probe_box):
    result = run(
        probe_box,
        probe_check(
            't=@@feed; out=$(printf \'%s\\n\' $t "$t 1" a "$t 2 x" " $t\t2 " b "$t 1"; '
            "printf 'c|d')\n"
            "obs one \"$(part 1 <<<\"$out\" | tr '\\n' ';')\"\n"
            "obs two \"$(part 2 <<<\"$out\" | tr '\\n' ';')\"\n"
            'obs none "[$(part 3 <<<"$out")]"\n',
        ),
    )
    observed = observations(result)
    # A third field makes a row, not a marker; the last line counts without its newline.
    assert observed["one"] == "a;@@feed 2 x;c|d;"
    assert observed["two"] == "b;"
    assert observed["none"] == "[]"


def test_the_process_table_names_users_from_the_image(probe_box):
    result = run(
        probe_box,
        probe_check(
            'obs header "$(head -1 $ACADEMY_RUN/ps)"\n'
            "obs init \"$(awk '$1 == 1 { print $2 }' $ACADEMY_RUN/ps)\"\n"
            'obs pg "$(awk \'$7 == "postgres" { print $2 }\' $ACADEMY_RUN/ps | sort -u)"\n'
            "obs blanks \"$(grep -c '  ' $ACADEMY_RUN/ps)\"\n",
        ),
    )
    observed = observations(result)
    assert observed["header"] == "PID USER %CPU RSS_KB ELAPSED_S STAT COMM ARGS"
    assert observed["init"] == "root"
    assert observed["pg"] == "postgres"
    assert observed["blanks"] == "0"  # fields one blank apart, as scripts split them
    # A script that names neither the table nor a helper reading it is given none.
    unasked = run(probe_box, probe_check('obs lines "$(wc -l </run/academy/ps)"'))
    assert observations(unasked)["lines"] == "0"


def test_a_changed_or_replaced_ops_script_is_flagged_and_a_fifo_does_not_hold_the_check(
    probe_box,
):
    ops = "/home/impactlink/scripts"
    seed = "/opt/srv-seed/home/impactlink/scripts"
    quiet = run(probe_box, probe_check("obs ok 1"))
    assert quiet.tamper == ""
    probe_box.sh(
        f"echo 'echo extra' >> {ops}/deploy.sh && rm {ops}/backup.sh && mkfifo {ops}/backup.sh"
    )
    try:
        result = run(probe_box, probe_check("obs ok 1", timeout=20))
    finally:
        probe_box.sh(f"rm -f {ops}/backup.sh && cp -p {seed}/deploy.sh {seed}/backup.sh {ops}/")
    assert result.outcome == "failed"
    assert "OBS ok 1" in result.output  # the script itself still ran, within its time limit
    assert "deploy.sh differs" in result.tamper
    assert "backup.sh differs" in result.tamper
    assert "rollback.sh" not in result.tamper
    assert run(probe_box, probe_check("obs ok 1")).tamper == ""


def test_a_redirecting_rc_file_cannot_move_the_probe_and_is_flagged(probe_box):
    probe_box.sh("printf 'url = \"http://127.0.0.1:9/\"\\n' > /root/.curlrc")
    try:
        result = run(
            probe_box,
            probe_check(
                "obs code $(hcurl -s -o /dev/null -w '%{http_code}' "
                "https://$ACADEMY_DOMAIN/api/v1/health)",
                rules=(ExpectRule("code", "equals", "200", "The API does not answer."),),
            ),
        )
    finally:
        probe_box.sh("rm -f /root/.curlrc")
    assert "OBS code 200" in result.output
    assert result.outcome == "failed"
    assert "/srv/root/.curlrc" in result.tamper


def test_a_running_check_leaves_no_session_value_in_the_hosts_processes(probe_box):
    import base64
    import threading

    # The spy searches for the marker without naming it, or it would find its own command line.
    hidden = base64.b64encode(str(probe_box.values["marker"]).encode()).decode()
    check = probe_check("sleep 2; obs done 1", inputs=("marker",))
    worker = threading.Thread(target=run, args=(probe_box, check))
    worker.start()
    try:
        spied = probe_box.sh(
            f"m=$(echo {hidden} | base64 -d); sleep 0.7; "
            "for p in /proc/[0-9]*; do for f in environ cmdline; do "
            'tr "\\0" "\\n" < $p/$f 2>/dev/null | grep -q -- "$m" && echo "$p/$f"; '
            "done; done; true"
        )
    finally:
        worker.join()
    assert spied.stdout.strip() == ""
