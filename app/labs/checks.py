"""The check runner: one check definition + the session's values + a way to run commands in
the sandbox in, one structured CheckResult out. Nothing here touches the database or Flask.

The trainee has root in their hosts, so the runner trusts nothing it would run there. Checks run
in the host's probe (app/sandboxes/probes.py) and report observations; the session's values and
expected results stay here, where `expect` rules judge the observations. Every kind is a short
script sent on standard input at check time, with only the values a check declares as `inputs`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from app.content.labs import Check, ExpectRule
from app.labs.values import fill
from app.labs.verdicts import (
    CLEAN_ENV,
    ERROR,
    ERROR_MESSAGE,
    FAILED,
    PASSED,
    Outcome,
    Timeline,
    Verdict,
    compare_answer,
    excerpt,
    judge_rule,
    judge_updates,
    parse_observations,
    shell_verdict,
    text_of,
)


class Output(Protocol):
    """What running a command in a sandbox host returns (the runtime's ExecResult)."""

    @property
    def exit_code(self) -> int:
        """Return the command's exit status (-1 when unknown)."""

    @property
    def stdout(self) -> Any:
        """Return what the command wrote to standard output."""

    @property
    def stderr(self) -> Any:
        """Return what the command wrote to standard error."""

    @property
    def timed_out(self) -> bool:
        """Tell whether the command was stopped for running too long."""


class Executor(Protocol):
    """Runs a command in one host of a sandbox."""

    def __call__(
        self,
        host: str,
        command: list[str],
        *,
        user: str = "root",
        stdin: bytes | None = None,
        timeout: int = 30,
        env: dict[str, str] | None = None,
        workdir: str | None = None,
    ) -> Output:
        """Run command on host and return its output."""
        ...


class ProbeExecutor(Protocol):
    """Runs a check script in a host's probe, out of the trainee's reach."""

    def __call__(
        self,
        host: str,
        script: str,
        *,
        env: dict[str, str] | None = None,
        timeout: float = 30,
        tamper_scan: bool = True,
    ) -> Output:
        """Run script for host in its probe and return its output."""
        ...


@dataclass(frozen=True)
class CheckResult:
    """The structured verdict of one check."""

    check_id: str
    task_id: str
    outcome: Outcome
    message: str = ""
    hints: tuple[str, ...] = ()
    detail: str = ""
    seconds: float = 0.0
    output: str = ""
    title: str = ""
    kind: str = ""
    # Signs that the trainee tampered with the check's observation (coordinator only).
    tamper: str = ""

    @property
    def passed(self) -> bool:
        """Tell whether the check passed."""
        return self.outcome == PASSED

    def to_json(self) -> dict[str, Any]:
        """Return the result as plain JSON data (stored with the check run)."""
        data = asdict(self)
        data["hints"] = list(self.hints)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckResult:
        """Rebuild a result stored by to_json."""
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        known["hints"] = tuple(known.get("hints", ()))
        return cls(**known)


# The scripts that carry out the built-in kinds. Parameters arrive as ACADEMY_* variables so no
# author text is ever spliced into shell code.
SQL_SCRIPT = """\
hpsql "$ACADEMY_DATABASE" "$ACADEMY_QUERY"
"""
HTTP_SCRIPT = """\
body=$(mktemp); err=$(mktemp); trap 'rm -f "$body" "$err"' EXIT
url=${ACADEMY_URL//localhost/$HOST_IP}; url=${url//127.0.0.1/$HOST_IP}
code=$(hcurl -sS -o "$body" -w '%{http_code}' -X "$ACADEMY_METHOD" --max-time "$ACADEMY_WAIT" \
  "$url" 2>"$err")
rc=$?
printf 'ACADEMY-HTTP %s %s\\n' "$rc" "$code"
printf 'ERR %s\\n' "$(tail -n 1 "$err")"
head -c 65536 "$body"
"""
FILE_SCRIPT = """\
p="$ACADEMY_PATH"
if [ -e "$p" ] || [ -L "$p" ]; then
  printf 'ACADEMY-FILE %s\\n' "$(stat -c '%a %U %F' -- "$p")"
  if [ -f "$p" ]; then head -c 1048576 -- "$p"; fi
else
  echo 'ACADEMY-FILE missing'
fi
"""


class CheckRunner:
    """Runs checks of one session's sandbox: the fixed contract of the platform."""

    def __init__(
        self,
        execute: Executor,
        values: Mapping[str, object],
        session: str,
        probe: ProbeExecutor | None = None,
        timeline: Callable[[], Timeline] | None = None,
    ) -> None:
        self.execute = execute
        self.values = values
        self.session = session
        self.probe = probe
        # Where `updates` checks read the session's status updates (the proof harness passes
        # its own; by default the session's rows, through app.labs.updates).
        self.timeline = timeline

    def run(self, check: Check, answer: str | None = None) -> CheckResult:
        """Run one check and return its structured result; never raises."""
        started = time.perf_counter()
        output = ""
        try:
            verdict, output = self._run(check, answer)
        except Exception as error:  # a broken runtime or sandbox is an error, never a fail
            verdict = Verdict(ERROR, ERROR_MESSAGE, detail=f"{type(error).__name__}: {error}")
        return CheckResult(
            check_id=check.id,
            task_id=check.task_id,
            outcome=verdict.outcome,
            message=verdict.message,
            hints=tuple(verdict.hints),
            detail=verdict.detail,
            seconds=round(time.perf_counter() - started, 3),
            output=excerpt(output),
            title=check.title,
            kind=check.kind,
            tamper=verdict.tamper,
        )

    def _inputs(self, check: Check) -> dict[str, str]:
        """Return the only session values a check's script may see: its declared inputs."""
        return {f"LAB_{name.upper()}": str(self.values.get(name, "")) for name in check.inputs}

    def _in_probe(
        self, check: Check, script: str, extra: Mapping[str, str] | None = None
    ) -> Output:
        env = {**self._inputs(check), **(extra or {})}
        if self.probe is not None:
            return self.probe(
                check.host, script, env=env, timeout=check.timeout, tamper_scan=check.tamper_scan
            )
        # No probe (golden tests): the same script, hardened, in the host itself.
        return self._in_host(check, script, "root", env)

    def _in_host(self, check: Check, script: str, user: str, env: Mapping[str, str]) -> Output:
        command = [*CLEAN_ENV, *(f"{k}={v}" for k, v in sorted(env.items()))]
        return self.execute(
            check.host,
            [*command, "bash", "--noprofile", "--norc", "-s"],
            user=user,
            stdin=script.encode(),
            timeout=check.timeout,
        )

    def _fill(self, check: Check, text: str) -> str:
        return fill(text, self.values, self.session, check.host)

    def _timeline(self) -> Timeline:
        if self.timeline is not None:
            return self.timeline()
        from app.labs.updates import timeline_for

        return timeline_for(int(self.session))

    def _run(self, check: Check, answer: str | None) -> tuple[Verdict, str]:
        if check.kind == "updates":  # judged here, from the platform's own records
            return judge_updates(check, self._timeline(), lambda t: self._fill(check, t)), ""
        if check.kind == "answer" and not (answer or "").strip():
            return Verdict(FAILED, f"Type your answer to: {self._fill(check, check.question)}"), ""
        if check.kind == "answer" and check.expect_value is not None:
            expected = self._fill(check, check.expect_value)
            return self._compare(check, expected, answer or ""), ""
        if check.kind == "shell":
            assert check.script is not None
            result = self._in_host(check, check.script.text, check.user, self._inputs(check))
        elif check.kind in ("probe", "answer"):
            assert check.script is not None
            result = self._in_probe(check, check.script.text)
        elif check.kind == "sql":
            params = {
                "ACADEMY_DATABASE": check.database,
                "ACADEMY_QUERY": self._fill(check, check.query),
            }
            result = self._in_probe(check, SQL_SCRIPT, params)
        elif check.kind == "http":
            params = {
                "ACADEMY_URL": self._fill(check, check.url),
                "ACADEMY_METHOD": check.method,
                "ACADEMY_WAIT": str(max(1, check.timeout - 2)),
            }
            result = self._in_probe(check, HTTP_SCRIPT, params)
        else:
            result = self._in_probe(
                check, FILE_SCRIPT, {"ACADEMY_PATH": self._fill(check, check.path)}
            )
        stdout, stderr = text_of(result.stdout), text_of(result.stderr)
        output = excerpt(stdout, stderr)
        if check.kind == "shell":
            return shell_verdict(result.exit_code, stdout, result.timed_out, check.message), output
        if check.kind == "probe":
            return self._probe_verdict(check, result, stdout), output
        if result.timed_out:
            return Verdict(
                ERROR, ERROR_MESSAGE, detail=f"timed out after {check.timeout} s"
            ), output
        judge = {"sql": self._sql, "http": self._http, "file": self._file, "answer": self._answer}[
            check.kind
        ]
        return judge(check, result.exit_code, stdout, stderr, answer or ""), output

    def _probe_verdict(self, check: Check, result: Output, stdout: str) -> Verdict:
        verdict = shell_verdict(result.exit_code, stdout, result.timed_out, check.message)
        if verdict.outcome != PASSED:
            return verdict
        observed, _ = parse_observations(stdout)
        lines = []
        failed: ExpectRule | None = None
        for rule in check.rules:
            expected = self._fill(check, rule.value)
            ok = judge_rule(rule, observed, expected)
            got = observed.get(rule.obs, "(not observed)")
            lines.append(f"{'ok ' if ok else 'NO '} {rule.obs} {rule.op} {expected!r}: {got!r}")
            if not ok and failed is None:
                failed = rule
        detail = "\n".join(filter(None, [verdict.detail, *lines]))
        if failed is not None:
            return Verdict(FAILED, failed.message, detail=detail)
        return Verdict(PASSED, detail=detail)

    def _compare(self, check: Check, expected: str, answer: str) -> Verdict:
        if compare_answer(answer, expected, check.compare, check.tolerance):
            return Verdict(PASSED, detail=f"answer {answer.strip()!r} matches {expected!r}")
        return self._failed(
            check,
            "That is not what this server shows. Look again.",
            f"answered {answer.strip()!r}, expected {expected!r}",
        )

    def _failed(self, check: Check, message: str, detail: str = "") -> Verdict:
        return Verdict(FAILED, check.message or message, detail=detail)

    def _sql(self, check: Check, code: int, stdout: str, stderr: str, _: str) -> Verdict:
        if code != 0:
            first = next(
                (line for line in stderr.splitlines() if line.strip()), f"psql exited {code}"
            )
            if re.search(r"\b42601\b", stderr) or code not in (1, 2, 3):
                return Verdict(ERROR, ERROR_MESSAGE, detail=f"the check's query is broken: {first}")
            return self._failed(check, f"The query failed: {first}", stderr.strip())
        got = stdout.strip()
        if check.expect_rows is not None:
            rows = len([line for line in got.splitlines() if line.strip()])
            if rows == check.expect_rows:
                return Verdict(PASSED, detail=f"{rows} row(s)")
            return self._failed(
                check,
                "The database is not in the expected state yet.",
                f"expected {check.expect_rows} row(s), got {rows}",
            )
        expected = self._fill(check, check.expect or "").strip()
        if got == expected:
            return Verdict(PASSED, detail=f"result {got!r}")
        return self._failed(
            check,
            "The database is not in the expected state yet.",
            f"expected {expected!r}, got {got!r}",
        )

    def _http(self, check: Check, code: int, stdout: str, _: str, __: str) -> Verdict:
        head, _sep, rest = stdout.partition("\n")
        match = re.fullmatch(r"ACADEMY-HTTP (\d+) (\d*)", head.strip())
        if code != 0 or match is None:
            return Verdict(
                ERROR, ERROR_MESSAGE, detail=f"request script exited {code}: {head[:200]}"
            )
        curl_code, status = int(match.group(1)), int(match.group(2) or 0)
        error_line, _sep, body = rest.partition("\n")
        url = self._fill(check, check.url)
        if curl_code != 0 or status == 0:
            reason = error_line.removeprefix("ERR").strip() or f"curl exit {curl_code}"
            return self._failed(
                check, f"{check.method} {url} got no HTTP answer ({reason}).", reason
            )
        if check.status is not None and status != check.status:
            return self._failed(
                check,
                f"{check.method} {url} answered {status}, expected {check.status}.",
                body[:500],
            )
        for text in check.body_contains:
            wanted = self._fill(check, text)
            if wanted not in body:
                return self._failed(
                    check, f"The answer from {url} does not contain {wanted!r}.", body[:500]
                )
        for text in check.body_not_contains:
            unwanted = self._fill(check, text)
            if unwanted in body:
                return self._failed(
                    check, f"The answer from {url} still contains {unwanted!r}.", body[:500]
                )
        return Verdict(PASSED, detail=f"{status}, {len(body)} bytes")

    def _file(self, check: Check, code: int, stdout: str, _: str, __: str) -> Verdict:
        head, _sep, content = stdout.partition("\n")
        path = self._fill(check, check.path)
        if code != 0 or not head.startswith("ACADEMY-FILE "):
            return Verdict(ERROR, ERROR_MESSAGE, detail=f"file script exited {code}: {head[:200]}")
        state = head[len("ACADEMY-FILE ") :].split(" ", 2)
        if state == ["missing"]:
            if check.exists:
                return self._failed(check, f"{path} does not exist.")
            return Verdict(PASSED, detail="absent")
        if not check.exists:
            return self._failed(check, f"{path} still exists.")
        mode, owner = state[0], state[1] if len(state) > 1 else ""
        if check.mode is not None and int(mode, 8) != int(check.mode, 8):
            return self._failed(
                check, f"{path} has mode {int(mode, 8):04o}, expected {int(check.mode, 8):04o}."
            )
        if check.owner is not None and owner != check.owner:
            return self._failed(check, f"{path} is owned by {owner}, expected {check.owner}.")
        for text in check.contains:
            if self._fill(check, text) not in content:
                return self._failed(check, f"{path} does not contain {self._fill(check, text)!r}.")
        for text in check.not_contains:
            if self._fill(check, text) in content:
                return self._failed(check, f"{path} still contains {self._fill(check, text)!r}.")
        return Verdict(PASSED, detail=f"mode {mode}, owner {owner}")

    def _answer(self, check: Check, code: int, stdout: str, stderr: str, answer: str) -> Verdict:
        if code != 0:
            return Verdict(
                ERROR, ERROR_MESSAGE, detail=f"compute script exited {code}: {stderr.strip()[:300]}"
            )
        expected = "\n".join(
            line for line in stdout.splitlines() if not line.startswith("TAMPER:")
        ).strip()
        if not expected:
            return Verdict(ERROR, ERROR_MESSAGE, detail="compute script printed nothing")
        return self._compare(check, expected, answer)
