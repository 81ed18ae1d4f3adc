"""The ImpactLink server replica runs in a sandbox, answers like production, and is fenced in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.sandboxes.probes import PROBE_CPU_SHARES, probe_name
from app.sandboxes.runtime import (
    CHECK_CPU_SHARES,
    HOST_CPU_SHARES,
    container_name,
    network_name,
)
from tests.sandboxes.conftest import DOMAIN

pytestmark = pytest.mark.docker


def _as_trainee(runtime, sandbox_id, script, timeout=30):
    """Run a line of shell as the impactlink user in a login shell, as the terminal does."""
    return runtime.exec(
        sandbox_id,
        "prod",
        ["bash", "-lc", script],
        user="impactlink",
        timeout=timeout,
        workdir="/home/impactlink",
    )


def test_health_answers_through_nginx_with_tls(runtime, shared_sandbox):
    result = _as_trainee(runtime, shared_sandbox, f"curl -sS --fail https://{DOMAIN}/api/v1/health")
    assert result.ok, result.stderr
    assert '"database":"ok"' in result.stdout.replace(" ", "")
    assert '"cache":"ok"' in result.stdout.replace(" ", "")
    # The certificate is verified against the local CA: TLS is real, not --insecure.
    issuer = _as_trainee(
        runtime,
        shared_sandbox,
        f"echo | openssl s_client -connect 127.0.0.1:443 -servername {DOMAIN} 2>/dev/null"
        " | openssl x509 -noout -subject -enddate",
    )
    assert DOMAIN in issuer.stdout
    assert "notAfter=" in issuer.stdout


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("psql -U impactlink -d impactlink_prod -c 'select 1'", "(1 row)"),
        (
            "sudo systemctl restart impactlink-api && sudo systemctl is-active impactlink-api",
            "active",
        ),
        ("redis-cli ping", "PONG"),
        ("df -h", "/srv"),
        ("ps aux | grep node", "node"),
        ("tail -n 5 /var/log/impactlink/error.log; echo tail-done", "tail-done"),
    ],
)
def test_the_guide_commands_work_as_written(runtime, shared_sandbox, command, expected):
    result = _as_trainee(runtime, shared_sandbox, command)
    assert result.exit_code == 0, f"{command}: {result.stdout}{result.stderr}"
    assert expected in result.stdout


def test_exec_passes_stdin_exit_status_and_separate_streams(runtime, shared_sandbox):
    echoed = runtime.exec(shared_sandbox, "prod", ["cat"], stdin=b"from stdin\n")
    assert echoed.ok
    assert echoed.stdout == "from stdin\n"
    mixed = runtime.exec(shared_sandbox, "prod", ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert (mixed.exit_code, mixed.stdout, mixed.stderr, mixed.timed_out) == (
        3,
        "out\n",
        "err\n",
        False,
    )
    env = runtime.exec(
        shared_sandbox, "prod", ["sh", "-c", "echo $LAB_SEED"], env={"LAB_SEED": "42"}
    )
    assert env.stdout.strip() == "42"


def test_exec_times_out_and_the_command_is_killed_inside(runtime, shared_sandbox):
    slow = runtime.exec(shared_sandbox, "prod", ["sh", "-c", "sleep 31; echo late"], timeout=1)
    assert slow.timed_out
    assert slow.seconds < 10
    assert "late" not in slow.stdout
    left = runtime.exec(shared_sandbox, "prod", ["sh", "-c", "ps -eo args | grep -c '^sleep 31'"])
    assert left.stdout.strip() == "0"


def test_no_outbound_network_and_no_docker_socket(runtime, shared_sandbox):
    outbound = runtime.exec(
        shared_sandbox,
        "prod",
        [
            "sh",
            "-c",
            "curl -sS --max-time 3 http://deb.debian.org/ 2>&1; "
            "curl -sS --max-time 3 http://1.1.1.1/ 2>&1; echo done",
        ],
        timeout=20,
    )
    assert "done" in outbound.stdout
    assert "<html" not in outbound.stdout.lower()
    assert (
        "resolve" in outbound.stdout
        or "unreachable" in outbound.stdout.lower()
        or "timed out" in outbound.stdout
    )
    sockets = runtime.exec(
        shared_sandbox,
        "prod",
        [
            "sh",
            "-c",
            "ls -la /var/run/docker.sock /run/docker.sock 2>&1; "
            "find / -xdev -name docker.sock 2>/dev/null | head -1",
        ],
    )
    assert "No such file" in sockets.stdout
    assert "docker.sock\n" not in sockets.stdout.split("No such file")[-1]


def test_probes_are_capped_and_weighted_above_the_hosts(runtime, shared_sandbox):
    # A check is someone waiting: on a busy machine its probe outweighs the hosts for CPU, and
    # it stays capped, read-only and without privileges.
    probe = runtime.api.inspect_container(probe_name(shared_sandbox, "prod"))["HostConfig"]
    host = runtime.api.inspect_container(container_name(shared_sandbox, "prod"))["HostConfig"]
    assert probe["CpuShares"] == PROBE_CPU_SHARES
    assert probe["CpuShares"] > (host["CpuShares"] or 1024)
    assert probe["NanoCpus"] == 500_000_000
    assert probe["Privileged"] is False
    assert probe["ReadonlyRootfs"] is True
    assert probe["CapDrop"] == ["ALL"]


def test_probes_have_a_cpu_group_beside_the_engines_capped_at_one_core(runtime, shared_sandbox):
    from app.sandboxes.probes import (
        CPU_HIERARCHY,
        PROBE_CGROUP_PARENT,
        PROBE_GROUP_CORES,
        PROBE_GROUP_SHARES,
    )

    info = runtime.api.info()
    probe = runtime.api.inspect_container(probe_name(shared_sandbox, "prod"))
    host = runtime.api.inspect_container(container_name(shared_sandbox, "prod"))
    assert host["HostConfig"]["CgroupParent"] == ""
    if not (
        runtime.url.startswith("unix://")
        and info.get("CgroupDriver") == "cgroupfs"
        and str(info.get("CgroupVersion", "1")) == "1"
    ):
        assert probe["HostConfig"]["CgroupParent"] == ""  # the engine places it, as any other
        return
    assert probe["HostConfig"]["CgroupParent"] == PROBE_CGROUP_PARENT
    group = CPU_HIERARCHY / PROBE_CGROUP_PARENT.strip("/")
    assert int((group / "cpu.shares").read_text()) == PROBE_GROUP_SHARES
    period = int((group / "cpu.cfs_period_us").read_text())
    assert int((group / "cpu.cfs_quota_us").read_text()) == int(period * PROBE_GROUP_CORES)
    # The agent, and so every script it starts, runs in that group.
    agent = str(probe["State"]["Pid"])
    cpu_line = next(
        line
        for line in Path(f"/proc/{agent}/cgroup").read_text().splitlines()
        if ":cpu," in line or line.split(":")[1] == "cpu"
    )
    assert cpu_line.split(":")[2] == f"{PROBE_CGROUP_PARENT}/{probe['Id']}"


def test_a_running_check_gives_its_sandbox_the_cpu_first_and_then_gives_it_back(
    runtime, shared_sandbox
):
    def shares():
        names = (container_name(shared_sandbox, "prod"), probe_name(shared_sandbox, "prod"))
        return [runtime.cpu_shares(n) for n in names]

    def raised_soon():
        # The raise is made beside the checks, so it shows within moments, not at once.
        for _ in range(100):
            if shares() == [CHECK_CPU_SHARES, CHECK_CPU_SHARES]:
                return True
            time.sleep(0.05)
        return False

    assert shares() == [HOST_CPU_SHARES, PROBE_CPU_SHARES]
    with runtime.check_priority(shared_sandbox):
        assert raised_soon()
        # A second run of the same sandbox at the same time: the first to finish keeps the
        # raise for the other; the last one out puts the weights back.
        with runtime.check_priority(shared_sandbox):
            assert shares() == [CHECK_CPU_SHARES, CHECK_CPU_SHARES]
        assert shares() == [CHECK_CPU_SHARES, CHECK_CPU_SHARES]
    assert shares() == [HOST_CPU_SHARES, PROBE_CPU_SHARES]
    with pytest.raises(RuntimeError), runtime.check_priority(shared_sandbox):
        raise RuntimeError("a check crashed")
    # A block that ends before the raise was made still leaves the usual weights behind.
    assert shares() == [HOST_CPU_SHARES, PROBE_CPU_SHARES]
    with runtime.check_priority("no-such-sandbox"):  # a sandbox that is gone: nothing to weigh
        pass


def test_weights_left_raised_by_a_worker_that_went_away_are_put_back(runtime, shared_sandbox):
    names = (container_name(shared_sandbox, "prod"), probe_name(shared_sandbox, "prod"))
    # A worker raised them for a check and was killed before it could put them back.
    runtime._weigh(shared_sandbox, boosted=True)
    assert [runtime.cpu_shares(n) for n in names] == [CHECK_CPU_SHARES, CHECK_CPU_SHARES]
    assert runtime.reset_weights() == 2
    assert [runtime.cpu_shares(n) for n in names] == [HOST_CPU_SHARES, PROBE_CPU_SHARES]
    assert runtime.reset_weights() == 0
    # A check this process is running keeps its raise.
    with runtime.check_priority(shared_sandbox):
        for _ in range(100):
            if runtime.cpu_shares(names[0]) == CHECK_CPU_SHARES:
                break
            time.sleep(0.05)
        assert runtime.reset_weights() == 0
        assert runtime.cpu_shares(names[0]) == CHECK_CPU_SHARES
    assert [runtime.cpu_shares(n) for n in names] == [HOST_CPU_SHARES, PROBE_CPU_SHARES]


def test_hosts_run_unprivileged_read_only_with_limits(runtime, shared_sandbox, sandbox_app):
    info = runtime.api.inspect_container(container_name(shared_sandbox, "prod"))
    host = info["HostConfig"]
    settings = sandbox_app.config["ACADEMY"]
    assert host["Privileged"] is False
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"]
    assert "SYS_ADMIN" not in (host["CapAdd"] or [])
    assert "NET_ADMIN" not in (host["CapAdd"] or [])
    assert host["PidsLimit"] == settings.sandbox_pids
    assert host["Memory"] == settings.sandbox_memory_mb * 1024 * 1024
    assert host["NanoCpus"] == int(settings.sandbox_cpus * 1e9)
    assert not any("docker.sock" in (m.get("Source") or "") for m in info["Mounts"])
    network = runtime.api.inspect_network(network_name(shared_sandbox))
    assert network["Internal"] is True
    effective = runtime.exec(shared_sandbox, "prod", ["sh", "-c", "grep CapEff /proc/1/status"])
    assert effective.ok
    # Writable root? No: only /srv (the capped disk), /tmp and /run are.
    readonly = runtime.exec(
        shared_sandbox, "prod", ["sh", "-c", "touch /usr/local/probe 2>&1; echo $?"]
    )
    assert "Read-only file system" in readonly.stdout


def test_srv_is_its_own_capped_disk(runtime, shared_sandbox, sandbox_app):
    df = runtime.exec(shared_sandbox, "prod", ["df", "-BM", "--output=source,size,target", "/srv"])
    assert df.ok
    line = df.stdout.strip().splitlines()[-1].split()
    size_mb = int(line[1].rstrip("M"))
    cap = sandbox_app.config["ACADEMY"].sandbox_disk_mb
    assert cap * 0.9 <= size_mb <= cap
    if runtime.disks.mode == "loop":
        assert line[0].startswith("/dev/loop")


def test_list_and_alive_see_only_this_platform(runtime, shared_sandbox):
    assert shared_sandbox in runtime.list_sandbox_ids()
    assert runtime.alive(shared_sandbox)
    assert not runtime.alive("0" * 32)
    missing = runtime.exec("0" * 32, "prod", ["true"])
    assert missing.exit_code == -1
    assert "does not exist" in missing.stderr


def test_the_tmpfs_fallback_disk_is_capped_and_runs_the_scripts(runtime, sandbox_app, tmp_path):
    """Where loop devices cannot be used, /srv is a size-capped tmpfs that still allows exec."""
    import uuid

    from app.sandboxes.disks import TMPFS, SandboxDisks
    from app.sandboxes.runtime import DockerRuntime, Limits
    from tests.sandboxes.conftest import PROD

    fallback = DockerRuntime(
        runtime.client, runtime.url, runtime.scope, SandboxDisks(runtime.api, tmp_path, TMPFS)
    )
    sandbox_id = uuid.uuid4().hex
    fallback.create(sandbox_id, PROD, Limits(768, 1.0, 512, 300), allow_outbound=False)
    try:
        assert fallback.wait_ready(sandbox_id, 90)
        df = fallback.exec(sandbox_id, "prod", ["df", "-BM", "--output=source,size", "/srv"])
        assert df.stdout.split()[-2:] == ["tmpfs", "300M"]
        script = fallback.exec(
            sandbox_id,
            "prod",
            ["bash", "-lc", "~/scripts/health-check.sh --quiet; echo exit=$?"],
            user="impactlink",
            workdir="/home/impactlink",
        )
        assert "exit=" in script.stdout
        assert "Permission denied" not in script.stdout + script.stderr
        full = fallback.exec(
            sandbox_id,
            "prod",
            ["sh", "-c", "dd if=/dev/zero of=/home/impactlink/fill bs=1M count=400 2>&1"],
            user="impactlink",
        )
        assert "No space left on device" in full.stdout
    finally:
        fallback.destroy(sandbox_id)
