"""Golden tests of the check runner's contract: a definition, values and an executor in, one
structured CheckResult out. The executor here is scripted; test_checks_sandbox.py runs the same
kinds in a real sandbox."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from app.content.labs import Check, ExpectRule, Script
from app.labs.checks import CheckResult, CheckRunner
from app.labs.verdicts import compare_answer, parse_shell_output
from tests.labs.conftest import Reply

VALUES = {"marker": "k3y", "port": 5123}


class Scripted:
    """An executor that answers with one prepared reply and records what it was sent."""

    def __init__(self, reply: Reply | Exception) -> None:
        self.reply = reply
        self.sent: list[dict[str, Any]] = []

    def __call__(self, host: str, command: list[str], **options: Any) -> Reply:
        self.sent.append({"host": host, "command": command, **options})
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply

    def probe(self, host: str, script: str, **options: Any) -> Reply:
        self.sent.append({"host": host, "probe": True, "stdin": script.encode(), **options})
        if isinstance(self.reply, Exception):
            raise self.reply
        return self.reply


def check(kind: str, **fields: Any) -> Check:
    base = {"id": "c1", "task_id": "t1", "kind": kind, "host": "prod", "title": "C1"}
    return Check(**{**base, **fields})


def shell(text: str = "exit 0", **fields: Any) -> Check:
    return check("shell", script=Script("checks/c1.sh", text), **fields)


def run(
    definition: Check, reply: Reply | Exception, answer: str | None = None
) -> tuple[CheckResult, Scripted]:
    executor = Scripted(reply)
    return CheckRunner(executor, VALUES, "77", executor.probe).run(definition, answer), executor


# -- shell -------------------------------------------------------------------------------------


def test_shell_script_runs_hardened_with_only_its_declared_inputs():
    result, executor = run(
        shell("echo hi", user="impactlink", timeout=12, inputs=("port",)), Reply()
    )
    sent = executor.sent[0]
    # A clean environment, no rc files, and of the session's values only the declared input:
    # the marker (which the trainee must find) never enters the host.
    assert sent["command"] == [
        "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/nonexistent", "LANG=C.UTF-8",
        "LAB_PORT=5123", "bash", "--noprofile", "--norc", "-s",
    ]  # fmt: skip
    assert "k3y" not in " ".join(sent["command"])
    assert sent.get("env") is None
    assert sent["stdin"] == b"echo hi"
    assert sent["user"] == "impactlink"
    assert sent["timeout"] == 12
    assert result.outcome == "passed"


@pytest.mark.parametrize(
    ("reply", "outcome", "message"),
    [
        (Reply(0, "all good\nDETAIL: 3 rows"), "passed", ""),
        (Reply(1, ""), "failed", "This check did not pass yet."),
        (Reply(1, "FAIL: no backup\nHINT: run backup.sh"), "failed", "no backup"),
        (Reply(0, "FAIL: printed but exited 0"), "failed", "printed but exited 0"),
        (Reply(2, "FAIL: broken"), "error", "could not run"),
        (Reply(127, "", "bash: pg_restore: command not found"), "error", "could not run"),
        (Reply(-1, "", "host gone"), "error", "could not run"),
        (Reply(124, "", "", 30.0, True), "error", "could not run"),
    ],
)
def test_shell_outcomes(reply, outcome, message):
    result, _ = run(shell(), reply)
    assert result.outcome == outcome
    assert message in result.message


def test_shell_fail_hint_and_detail_lines_are_separated():
    result, _ = run(
        shell(),
        Reply(1, "noise\nFAIL: first\n  FAIL: second\nHINT: try x\nDETAIL: for the coordinator"),
    )
    assert result.message == "first\nsecond"
    assert result.hints == ("try x",)
    assert result.detail == "for the coordinator"
    assert "noise" in result.output


def test_authors_message_is_the_fallback_for_a_silent_failure():
    result, _ = run(shell(message="Nginx still answers 502."), Reply(1))
    assert result.message == "Nginx still answers 502."


def test_a_broken_runtime_is_an_error_never_a_fail():
    result, _ = run(shell(), RuntimeError("engine gone"))
    assert result.outcome == "error"
    assert "engine gone" in result.detail


def test_parse_shell_output_golden():
    assert parse_shell_output("FAIL: a\nHINT: b\nDETAIL: c\nFAIL:d\nother") == (
        ["a", "d"],
        ["b"],
        ["c"],
    )


def test_long_output_keeps_head_and_tail():
    result, _ = run(shell(), Reply(0, "A" * 5000 + "END"))
    assert result.output.startswith("AAAA")
    assert result.output.endswith("END")
    assert len(result.output) < 4200


def test_results_round_trip_through_json():
    result, _ = run(shell(), Reply(1, "FAIL: x\nHINT: y"))
    assert CheckResult.from_json(result.to_json()) == result
    assert result.to_json()["hints"] == ["y"]


# -- sql -----------------------------------------------------------------------------------------


def sql(**fields: Any) -> Check:
    return check("sql", query="SELECT note FROM t WHERE m = '{marker}'", **fields)


def test_sql_runs_as_postgres_with_filled_query():
    result, executor = run(sql(expect="{marker}-ok"), Reply(0, "k3y-ok\n"))
    sent = executor.sent[0]
    assert sent["probe"] is True
    assert b"hpsql" in sent["stdin"]
    assert sent["env"]["ACADEMY_QUERY"] == "SELECT note FROM t WHERE m = 'k3y'"
    assert sent["env"]["ACADEMY_DATABASE"] == "impactlink_prod"
    assert result.outcome == "passed"


@pytest.mark.parametrize(
    ("fields", "reply", "outcome"),
    [
        ({"expect": "1"}, Reply(0, "2\n"), "failed"),
        ({"expect_rows": 2}, Reply(0, "a\nb\n"), "passed"),
        ({"expect_rows": 2}, Reply(0, "a\n"), "failed"),
        ({"expect": "1"}, Reply(1, "", 'ERROR:  42P01: relation "t" does not exist'), "failed"),
        ({"expect": "1"}, Reply(2, "", "psql: error: connection refused"), "failed"),
        ({"expect": "1"}, Reply(1, "", 'ERROR:  42601: syntax error at or near "SELEC"'), "error"),
        ({"expect": "1"}, Reply(0, "", "", 30, True), "error"),
    ],
)
def test_sql_outcomes(fields, reply, outcome):
    result, _ = run(sql(**fields), reply)
    assert result.outcome == outcome


# -- http ----------------------------------------------------------------------------------------


def http(**fields: Any) -> Check:
    return check("http", url="https://example.test/v/{marker}", **fields)


@pytest.mark.parametrize(
    ("fields", "stdout", "outcome", "message"),
    [
        ({"status": 200}, "ACADEMY-HTTP 0 200\nERR \nok", "passed", ""),
        (
            {"status": 200},
            "ACADEMY-HTTP 0 502\nERR \nBad Gateway",
            "failed",
            "answered 502, expected 200",
        ),
        (
            {"status": 200},
            "ACADEMY-HTTP 7 000\nERR curl: (7) Failed to connect\n",
            "failed",
            "got no HTTP answer",
        ),
        ({"body_contains": ["k3y"]}, "ACADEMY-HTTP 0 200\nERR \nversion k3y", "passed", ""),
        (
            {"body_contains": ["{marker}"]},
            "ACADEMY-HTTP 0 200\nERR \nversion 1",
            "failed",
            "does not contain 'k3y'",
        ),
        (
            {"body_not_contains": ["secret"]},
            "ACADEMY-HTTP 0 200\nERR \nsecret!",
            "failed",
            "still contains 'secret'",
        ),
        ({"status": 200}, "garbage", "error", "could not run"),
    ],
)
def test_http_outcomes(fields, stdout, outcome, message):
    result, executor = run(http(**fields), Reply(0, stdout))
    assert executor.sent[0]["env"]["ACADEMY_URL"] == "https://example.test/v/k3y"
    assert result.outcome == outcome
    assert message in result.message


# -- file ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "stdout", "outcome", "message"),
    [
        ({}, "ACADEMY-FILE 600 impactlink regular file\nx", "passed", ""),
        ({}, "ACADEMY-FILE missing\n", "failed", "/srv/k3y.env does not exist"),
        ({"exists": False}, "ACADEMY-FILE missing\n", "passed", ""),
        ({"exists": False}, "ACADEMY-FILE 600 root regular file\n", "failed", "still exists"),
        (
            {"mode": "0600"},
            "ACADEMY-FILE 644 root regular file\n",
            "failed",
            "has mode 0644, expected 0600",
        ),
        ({"mode": "600"}, "ACADEMY-FILE 600 root regular file\n", "passed", ""),
        (
            {"owner": "impactlink"},
            "ACADEMY-FILE 600 root regular file\n",
            "failed",
            "owned by root",
        ),
        ({"contains": ["K={marker}"]}, "ACADEMY-FILE 600 root regular file\nK=k3y\n", "passed", ""),
        (
            {"not_contains": ["password"]},
            "ACADEMY-FILE 600 root regular file\npassword=1",
            "failed",
            "still contains",
        ),
    ],
)
def test_file_outcomes(fields, stdout, outcome, message):
    result, executor = run(check("file", path="/srv/{marker}.env", **fields), Reply(0, stdout))
    assert executor.sent[0]["env"]["ACADEMY_PATH"] == "/srv/k3y.env"
    assert result.outcome == outcome
    assert message in result.message


# -- answer --------------------------------------------------------------------------------------


def answer(**fields: Any) -> Check:
    fields = {"question": "How many?", "script": Script("checks/n.sh", "echo 42"), **fields}
    return check("answer", **fields)


def test_no_answer_fails_without_touching_the_sandbox():
    result, executor = run(answer(), Reply(0, "42"))
    assert result.outcome == "failed"
    assert "How many?" in result.message
    assert executor.sent == []


@pytest.mark.parametrize(
    ("fields", "computed", "given", "outcome"),
    [
        ({}, "42\n", "42", "passed"),
        ({}, "42\n", " 42 ", "passed"),
        ({}, "42\n", "41", "failed"),
        ({"compare": "ci"}, "Nginx\n", "nginx", "passed"),
        ({"compare": "exact"}, "Nginx\n", "nginx", "failed"),
        ({"compare": "number", "tolerance": 0.5}, "87.2\n", "87.5", "passed"),
        ({"compare": "number", "tolerance": 0.5}, "87.2\n", "88", "failed"),
        ({"compare": "number"}, "1,024\n", "1024", "passed"),
        ({"compare": "number"}, "12\n", "twelve", "failed"),
    ],
)
def test_answer_compared_with_the_value_computed_now(fields, computed, given, outcome):
    result, executor = run(answer(**fields), Reply(0, computed), given)
    assert executor.sent[0]["stdin"] == b"echo 42"
    assert result.outcome == outcome
    if outcome == "failed":
        assert computed.strip() not in result.message, (
            "the expected value must not leak to the trainee"
        )
        assert computed.strip() in result.detail


@pytest.mark.parametrize("reply", [Reply(3, "", "boom"), Reply(0, "  \n")])
def test_a_broken_compute_script_is_an_error(reply):
    result, _ = run(answer(), reply, "42")
    assert result.outcome == "error"


def test_compare_answer_golden():
    assert compare_answer("87%", "87", "number", 0)
    assert not compare_answer("", "0", "exact", 0)


def test_results_carry_check_and_task_ids_and_timing():
    result, _ = run(dataclasses.replace(shell(), id="x", task_id="y"), Reply())
    assert (result.check_id, result.task_id, result.kind, result.title) == ("x", "y", "shell", "C1")
    assert result.seconds >= 0


def test_the_question_in_the_message_carries_the_sessions_values():
    result, _ = run(answer(question="Amount of pi_{marker}?"), Reply(0, "42"))
    assert result.message == "Type your answer to: Amount of pi_k3y?"


# -- probe: observations judged on the platform ---------------------------------------------------


def probe(text: str = "obs a 1", **fields: Any) -> Check:
    return check("probe", script=Script("checks/c1.sh", text), **fields)


def rule(obs: str, op: str, value: str, message: str = "Not yet.") -> ExpectRule:
    return ExpectRule(obs=obs, op=op, value=value, message=message)


def test_probe_runs_outside_the_host_with_only_declared_inputs():
    result, executor = run(probe(inputs=("port",), timeout=9), Reply(0, "OBS a 1"))
    sent = executor.sent[0]
    assert sent["probe"] is True
    assert sent["env"] == {"LAB_PORT": "5123"}
    assert sent["timeout"] == 9
    assert sent["tamper_scan"] is True
    assert result.outcome == "passed"


@pytest.mark.parametrize(
    ("rules", "stdout", "outcome", "message"),
    [
        ((rule("m", "equals", "{marker}"),), "OBS m k3y", "passed", ""),
        ((rule("m", "equals", "{marker}", "The rows are not back."),), "OBS m other", "failed",
         "The rows are not back."),
        ((rule("m", "equals", "{marker}"),), "nothing observed", "failed", "Not yet."),
        ((rule("n", "min", "3"),), "OBS n 3", "passed", ""),
        ((rule("n", "min", "3"),), "OBS n 2.5", "failed", "Not yet."),
        ((rule("n", "max", "0"),), "OBS n 0", "passed", ""),
        ((rule("n", "max", "0"),), "OBS n lots", "failed", "Not yet."),
        ((rule("v", "matches", r"^1\.1\.\d$"),), "OBS v 1.1.0", "passed", ""),
        ((rule("p", "not_equals", "{port}"),), "OBS p 5123", "failed", "Not yet."),
        ((rule("l", "contains", "{marker}"),), "OBS l line k3y here", "passed", ""),
        ((rule("l", "not_contains", "{marker}"),), "OBS l line k3y here", "failed", "Not yet."),
        ((rule("a", "equals", "1"), rule("b", "equals", "2", "Second.")), "OBS a 1\nOBS b 3",
         "failed", "Second."),
    ],
)  # fmt: skip
def test_probe_rules_judge_observations_on_the_platform(rules, stdout, outcome, message):
    result, executor = run(probe(rules=rules), Reply(0, stdout))
    assert result.outcome == outcome
    assert message in result.message
    # The expected values never went to the probe; the coordinator's detail shows both sides.
    assert b"k3y" not in executor.sent[0]["stdin"]
    if outcome == "failed" and rules[0].obs == "m":
        assert "k3y" in result.detail
        assert "k3y" not in result.message


def test_a_failure_message_never_shows_the_expected_value():
    result, _ = run(probe(rules=(rule("p", "equals", "{port}", "Nginx proxies elsewhere."),)),
                    Reply(0, "OBS p 3000"))  # fmt: skip
    assert result.message == "Nginx proxies elsewhere."
    assert "5123" not in result.message


def test_tampering_fails_with_a_neutral_message_and_is_flagged():
    result, _ = run(
        probe(rules=(rule("a", "equals", "1"),)),
        Reply(0, "TAMPER: /srv/root/.curlrc redirects a tool\nOBS a 1"),
    )
    assert result.outcome == "failed"
    assert "could not confirm" in result.message
    assert ".curlrc" not in result.message
    assert result.tamper == "/srv/root/.curlrc redirects a tool"
    assert CheckResult.from_json(result.to_json()).tamper == result.tamper


def test_probe_errors_are_errors_not_verdicts():
    result, _ = run(probe(rules=(rule("a", "equals", "1"),)), Reply(3, "OBS a 1"))
    assert result.outcome == "error"


def test_an_answer_against_a_drawn_value_never_touches_the_sandbox():
    definition = check("answer", question="Which port?", expect_value="{port}", compare="number")
    passed, executor = run(definition, Reply(), answer=" 5123 ")
    assert passed.outcome == "passed"
    assert executor.sent == []
    failed, _ = run(definition, Reply(), answer="5124")
    assert failed.outcome == "failed"
    assert "5123" not in failed.message
