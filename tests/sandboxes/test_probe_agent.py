"""The probe's agent runs check scripts without a `docker exec`, exactly as an exec would, and
answers only to the holder of the probe's key (app/sandboxes/probe_agent.py)."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time

import pytest

from app.sandboxes import probe_agent
from app.sandboxes.probes import probe_name, run_probe, target_for
from app.sandboxes.runtime import container_name
from app.sandboxes.streams import run_command

pytestmark = pytest.mark.docker

COMMAND = ["env", "-i", "PATH=/usr/bin:/bin", "/bin/bash", "--noprofile", "--norc", "-s"]


def _target(runtime, sandbox_id):
    return target_for(
        runtime.api, container_name(sandbox_id, "prod"), probe_name(sandbox_id, "prod")
    )


def _execs_in(runtime, container: str, since: float) -> list[str]:
    """Return the commands the engine exec'd in container since the given moment."""
    events = runtime.api.events(
        since=int(since) - 1,
        until=int(time.time()) + 1,
        decode=True,
        filters={"type": "container", "event": "exec_create"},
    )
    return [
        e.get("Action", "")
        for e in events
        if e.get("Actor", {}).get("Attributes", {}).get("name") == container
    ]


def test_every_probe_gets_an_agent_with_a_key_of_its_own(runtime, shared_sandbox):
    target = _target(runtime, shared_sandbox)
    assert target.agent_address
    assert target.agent_address != target.host_ip
    assert len(target.agent_key) == 64
    top = runtime.api.top(probe_name(shared_sandbox, "prod"))["Processes"]
    assert any(row[-1] == "academy-probe-agent" for row in top), top


def test_a_check_script_runs_through_the_agent_without_an_exec(runtime, shared_sandbox):
    since = time.time()
    result = runtime.probe(
        shared_sandbox,
        "prod",
        "hpsql impactlink_prod 'SELECT 40 + 2'; echo \"host $HOST_IP\"; echo warn >&2; exit 3",
        tamper_scan=False,
    )
    assert result.exit_code == 3
    assert result.stdout.splitlines()[0] == "42"
    assert result.stdout.splitlines()[1] == f"host {_target(runtime, shared_sandbox).host_ip}"
    assert result.stderr == "warn\n"
    assert _execs_in(runtime, probe_name(shared_sandbox, "prod"), since) == []


@pytest.mark.parametrize(
    "script",
    [
        b"echo out; echo err >&2; exit 7\n",
        b'read line; echo "got $line"; exit 0\nfrom stdin\n',
        b"head -c 5000000 /dev/zero | tr '\\0' x; yes | head -c 70000 | wc -c\n",
        b"trap -p; ulimit -n; pwd; kill -TERM $$\n",
    ],
    ids=["streams-and-status", "stdin", "output-limit", "signals-and-cwd"],
)
def test_the_agent_answers_as_an_exec_would(runtime, shared_sandbox, script):
    target = _target(runtime, shared_sandbox)
    by_agent = probe_agent.run(
        target.agent_address, target.agent_key, COMMAND, stdin=script, timeout=20
    )
    by_exec = run_command(
        runtime.api,
        target.container,
        COMMAND,
        user="root",
        stdin=script,
        timeout=20,
        env=None,
        workdir="/",
    )
    assert (by_agent.exit_code, by_agent.timed_out) == (by_exec.exit_code, by_exec.timed_out)
    assert by_agent.stdout == by_exec.stdout
    assert by_agent.stderr == by_exec.stderr


def test_a_scripts_text_reaches_bash_as_a_file_that_nothing_else_can_open(runtime, shared_sandbox):
    # A file, so bash reads the script in blocks rather than a byte per read; unlinked before the
    # command starts, so it is on no disk, not even the probe's own /tmp.
    result = runtime.probe(
        shared_sandbox,
        "prod",
        "stat -L -c %F /proc/self/fd/0; ls -A /tmp | grep -c . || true",
        tamper_scan=False,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == ["regular", "file", "0"]


def test_a_script_too_big_for_the_agent_runs_by_exec(runtime, shared_sandbox):
    # A process table inflated by huge command lines must not cost the check its answer.
    filler = "#" + "x" * 1023 + "\n"
    script = filler * (probe_agent.MAX_BODY // 1024 + 1) + "echo whole"
    since = time.time()
    result = runtime.probe(shared_sandbox, "prod", script, tamper_scan=False)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "whole"
    assert _execs_in(runtime, probe_name(shared_sandbox, "prod"), since) != []


def test_the_agent_stops_a_command_at_its_time_limit(runtime, shared_sandbox):
    started = time.monotonic()
    result = runtime.probe(shared_sandbox, "prod", "sleep 40", timeout=2, tamper_scan=False)
    assert result.timed_out
    assert time.monotonic() - started < 10
    left = runtime.probe(shared_sandbox, "prod", "pgrep -x sleep || echo none", tamper_scan=False)
    assert left.stdout.strip() == "none"


def test_someone_on_the_sandbox_network_without_the_key_runs_nothing(runtime, shared_sandbox):
    target = _target(runtime, shared_sandbox)
    body = "5\\x003\\x00/bin/sh\\x00-c\\x00touch /tmp/owned; echo owned\\x00"
    attempt = runtime.exec(
        shared_sandbox,
        "prod",
        [
            "bash",
            "-c",
            f"exec 3<>/dev/tcp/{target.agent_address}/{probe_agent.AGENT_PORT} || exit 9; "
            'read -r greeting <&3; echo "greeting: $greeting"; '
            f"body=$(printf '{body}' | wc -c); "
            f"printf 'RUN %s %s\\n{body}' \"$body\" {'ab' * 32} >&3; "
            'timeout 5 cat <&3; echo "answer ends"',
        ],
        user="impactlink",
        timeout=20,
    )
    assert attempt.stdout.startswith("greeting: ACADEMY-PROBE 1 "), attempt.stdout
    assert "DONE" not in attempt.stdout
    assert "owned" not in attempt.stdout
    assert attempt.stdout.rstrip().endswith("answer ends")
    there = runtime.probe(
        shared_sandbox, "prod", "test -e /tmp/owned && echo owned || echo clean", tamper_scan=False
    )
    assert there.stdout.strip() == "clean"


def test_a_wrong_key_falls_back_to_exec_and_still_tells_the_truth(runtime, shared_sandbox):
    target = dataclasses.replace(_target(runtime, shared_sandbox), agent_key="cd" * 32)
    since = time.time()
    result = run_probe(
        runtime.api,
        target,
        container_name(shared_sandbox, "prod"),
        "hpsql impactlink_prod 'SELECT 6 * 7'",
        env={},
        timeout=20,
        tamper_scan=False,
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "42"
    assert _execs_in(runtime, target.container, since) != []


class _FakeAgent:
    """Something that took over an agent's address: it greets and answers, without the key."""

    def __init__(self, answer: bytes) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.answer = answer
        self.request = b""
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            conn.sendall(b"ACADEMY-PROBE 1 " + b"0" * 32 + b"\n")
            conn.settimeout(5)
            self.request = conn.recv(65536)
            conn.sendall(self.answer)

    def close(self) -> None:
        self.thread.join(5)
        self.server.close()


@pytest.mark.parametrize(
    "answer",
    [
        b"DONE 0 0 3 0 " + b"ef" * 32 + b"\nok\n",
        b"DONE 0 0 3 0\nok\n",
        b"OK 0\n",
    ],
    ids=["wrong-mac", "no-mac", "not-an-answer"],
)
def test_an_answer_without_the_key_is_not_believed(answer):
    fake = _FakeAgent(answer)
    try:
        with pytest.raises(probe_agent.AgentRefused):
            probe_agent.run(
                "127.0.0.1", "12" * 32, COMMAND, stdin=b"exit 1\n", timeout=5, port=fake.port
            )
    finally:
        fake.close()
    # The request it saw proves knowledge of the key without showing it.
    assert fake.request.startswith(b"RUN ")
    assert b"12" * 32 not in fake.request


def test_no_agent_at_the_address_means_unavailable_not_a_result():
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    with pytest.raises(probe_agent.AgentUnavailable):
        probe_agent.run("127.0.0.1", "12" * 32, COMMAND, stdin=b"", timeout=5, port=port)


def test_checks_reach_the_running_database_whatever_its_configuration_file_says(
    runtime, shared_sandbox
):
    conf = "/etc/postgresql/15/main/postgresql.conf"
    edited = runtime.exec(
        shared_sandbox,
        "prod",
        ["bash", "-c", f"cp {conf} /tmp/pg.conf && sed -i 's/^port = 5432/port = 6543/' {conf}"],
    )
    assert edited.exit_code == 0, edited.stderr
    try:
        result = runtime.probe(
            shared_sandbox, "prod", "hpsql impactlink_prod 'SHOW port'", tamper_scan=False
        )
        assert result.exit_code == 0, result.stderr
        assert result.stdout.strip() == "5432"
    finally:
        runtime.exec(shared_sandbox, "prod", ["bash", "-c", f"cat /tmp/pg.conf > {conf}"])
