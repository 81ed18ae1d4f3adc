"""Probes: the platform's observer beside each sandbox host, out of the trainee's reach.

The trainee has root inside their hosts, so nothing a check runs there can be trusted to report
honestly. Each host therefore gets a probe: a second container of the same image, on the
sandbox's private network, with the host's `/srv` disk mounted read-only. A check script runs
in the probe with a clean environment and a prelude written here (never sourced from the
sandbox): it reads the host's files from the read-only disk, talks to the host's PostgreSQL
through a socket on that disk (peer authentication as `postgres`), reaches the host's Nginx over
the network, and reads the host's process table as the Docker engine sees it from outside.

Where a host's `/srv` is a tmpfs (no loop devices: remote engines, unprivileged platforms) it
cannot be shared, so probe scripts run inside the host itself, hardened the same way; the admin
page says which mode is in use.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import docker

from app.sandboxes import probe_agent
from app.sandboxes.streams import ExecResult, run_command

log = logging.getLogger("academy.sandboxes")
PROBE_LABEL = "academy.probe"
PROBE_MEMORY = "96m"
# A check is someone waiting for an answer: when the machine is busy (lab setups, terminals,
# other trainees' work), the probe's scripts get four times the CPU weight of a sandbox host
# (Docker's default weight is 1024). Its cap of half a core still holds.
PROBE_CPU_SHARES = 4096
# On a local engine with cgroup v1's cgroupfs driver, probes run in a CPU group of their own at the
# top of the hierarchy, beside the engine's /docker group that holds every sandbox host. Inside
# /docker a probe's weight only counts against the hosts (their setups, the trainees' commands);
# the group itself gets one share of the machine beside the platform's services, so under load a
# probe waited for CPU at every process it started. A probe runs only the platform's own scripts,
# so its group weighs as much as eight services, and all probes together are capped at
# PROBE_GROUP_CORES so that checks can never take the machine from the web pages.
PROBE_CGROUP_PARENT = "/academy-probes"
PROBE_GROUP_SHARES = 8192
PROBE_GROUP_CORES = 1.0
CPU_HIERARCHY = Path("/sys/fs/cgroup/cpu")
PROBE_CPU_GROUP = CPU_HIERARCHY / PROBE_CGROUP_PARENT.strip("/")
# What root in the probe may do: read every file of the host's disk (ro), become postgres for
# peer authentication. Nothing else.
PROBE_CAPS = ["DAC_OVERRIDE", "DAC_READ_SEARCH", "SETUID", "SETGID"]
CLEAN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PS_COLUMNS = "pid,uid,pcpu,rss,etimes,stat,comm,args"
DOMAIN = "impactlink.solovedhelpinghands.org.za"

PRELUDE_FILE = Path(__file__).with_name("probe_prelude.sh")
# What a script names when it reads the host's process table: the file itself ($ACADEMY_RUN/ps)
# or a prelude helper that reads it. A script naming none of them gets an empty table, and the
# engine is not asked for one (a `docker top` runs ps on the machine: p50 58 ms under load).
PROCESS_TABLE_READERS = (
    "ACADEMY_RUN",
    "nginx_reloaded_since",
    "api_start_ms",
    "real_api_observations",
)


def reads_process_table(script: str) -> bool:
    """Tell whether a probe script (or a helper it calls) reads the host's process table."""
    return any(word in script for word in PROCESS_TABLE_READERS)


@cache
def _prelude() -> str:
    return PRELUDE_FILE.read_text(encoding="utf-8")


@dataclass(frozen=True)
class ProbeTarget:
    """Where a probe script runs for one host, and how it reaches that host."""

    container: str
    host_ip: str
    pg_socket: str
    inside_host: bool
    # The probe's agent (probe_agent.py): its private address and key; empty for a probe that
    # predates the agent, or a host that runs its own scripts.
    agent_address: str = ""
    agent_key: str = ""


def probe_name(sandbox_id: str, host: str) -> str:
    """Return the engine's name for the probe of a sandbox host."""
    return f"ac-{sandbox_id}-{host}-probe"


def probe_cgroup_parent(api: docker.APIClient, local_engine: bool) -> str | None:
    """Make the probes' CPU group ready and return it as a cgroup parent; None where the engine
    places containers itself (remote, systemd driver, cgroup v2) or the group cannot be set."""
    if not local_engine or not (CPU_HIERARCHY / "cpu.shares").is_file():
        return None
    try:
        info = api.info()
    except docker.errors.APIError:
        return None
    if info.get("CgroupDriver") != "cgroupfs" or str(info.get("CgroupVersion", "1")) != "1":
        return None
    try:
        PROBE_CPU_GROUP.mkdir(exist_ok=True)
        (PROBE_CPU_GROUP / "cpu.shares").write_text(f"{PROBE_GROUP_SHARES}\n")
        period = int((PROBE_CPU_GROUP / "cpu.cfs_period_us").read_text())
        (PROBE_CPU_GROUP / "cpu.cfs_quota_us").write_text(f"{int(period * PROBE_GROUP_CORES)}\n")
    except (OSError, ValueError) as problem:
        log.warning("probes stay in the engine's CPU group: %s", problem)
        return None
    return PROBE_CGROUP_PARENT


def start_probe(
    api: docker.APIClient,
    sandbox_id: str,
    host: str,
    image: str,
    volume: str | None,
    network: str,
    labels: dict[str, str],
    cgroup_parent: str | None = None,
) -> None:
    """Start the host's probe with its disk mounted read-only (none when /srv is a tmpfs)."""
    if volume is None:
        return
    host_config = api.create_host_config(
        cgroup_parent=cgroup_parent,
        network_mode=network,
        read_only=True,
        mounts=[docker.types.Mount(target="/srv", source=volume, type="volume", read_only=True)],
        tmpfs={"/run": "rw,nosuid,nodev,size=16m", "/tmp": "rw,nosuid,nodev,size=64m"},  # noqa: S108
        mem_limit=PROBE_MEMORY,
        memswap_limit=PROBE_MEMORY,
        nano_cpus=500_000_000,
        cpu_shares=PROBE_CPU_SHARES,
        pids_limit=64,
        cap_drop=["ALL"],
        cap_add=PROBE_CAPS,
        privileged=False,
        log_config={"type": "json-file", "config": {"max-size": "256k", "max-file": "1"}},
    )
    container = api.create_container(
        image,
        name=probe_name(sandbox_id, host),
        entrypoint=probe_agent.entrypoint(),
        command=[],
        environment=probe_agent.environment(),
        labels={**labels, PROBE_LABEL: host},
        host_config=host_config,
        networking_config=api.create_networking_config({network: api.create_endpoint_config()}),
        healthcheck={"test": ["NONE"]},
    )
    api.start(container["Id"])


def target_for(api: docker.APIClient, host_container: str, probe_container: str) -> ProbeTarget:
    """Return where to run probe scripts for a host: its probe, or the host itself."""
    try:
        probe = api.inspect_container(probe_container)
    except docker.errors.NotFound:
        return ProbeTarget(host_container, "127.0.0.1", "/var/run/postgresql", True)
    host = api.inspect_container(host_container)
    return ProbeTarget(
        probe_container,
        _address(host) or "127.0.0.1",
        "/srv/.academy/pg",
        False,
        agent_address=_address(probe),
        agent_key=probe_agent.key_of(probe.get("Config", {}).get("Env")),
    )


def _address(info: dict[str, Any]) -> str:
    networks = info.get("NetworkSettings", {}).get("Networks", {}) or {}
    return next((n.get("IPAddress") for n in networks.values() if n.get("IPAddress")), "")


def process_table(api: docker.APIClient, container: str) -> str:
    """Return the host's processes as the engine sees them, with the PIDs the trainee sees."""
    try:
        top = api.top(container, ps_args=f"-eo {PS_COLUMNS}")
    except docker.errors.APIError:
        return "PID UID %CPU RSS ETIME STAT COMMAND ARGS\n"
    lines = ["PID UID %CPU RSS ETIME STAT COMMAND ARGS"]
    for row in top.get("Processes") or []:
        if len(row) < 8:
            continue
        pid = _namespace_pid(row[0])
        args = re.sub(r"[\r\n]", " ", " ".join(row[7:]))
        lines.append(" ".join([pid, *row[1:7], args]))
    return "\n".join(lines) + "\n"


def _namespace_pid(host_pid: str) -> str:
    # The engine reports host PIDs; the trainee sees the innermost namespace's PID (NSpid's last
    # field). On a remote engine /proc is not ours to read, and the host PID is the best we have.
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{int(host_pid)}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return line.split()[-1]
    return host_pid


def script_text(script: str, ps_table: str, tamper_scan: bool) -> bytes:
    """Return the whole text a probe's bash reads: prelude, process table, (scan), script."""
    table = ps_table.replace("__ACADEMY_PS__", "_ACADEMY_PS_")
    prelude = (
        _prelude()
        .replace("__PATH__", CLEAN_PATH)
        .replace("__DOMAIN__", DOMAIN)
        .replace("__PS__", table.rstrip("\n"))
    )
    scan = "academy_tamper_scan\n" if tamper_scan else ""
    # The script runs in a subshell so an `exit` in it still leaves the scan's lines printed.
    return (prelude + scan + "(\n" + script + "\n)\n").encode()


def run_probe(
    api: docker.APIClient,
    target: ProbeTarget,
    host_container: str,
    script: str,
    *,
    env: dict[str, str],
    timeout: float,
    tamper_scan: bool = True,
) -> ExecResult:
    """Run a check script in the host's probe with only the given inputs in its environment."""
    clean = {
        **env,
        "HOST_IP": target.host_ip,
        "ACADEMY_PG_SOCKET": target.pg_socket,
        "ACADEMY_PROBE_INSIDE": "1" if target.inside_host else "0",
    }
    command = [
        "env",
        "-i",
        f"PATH={CLEAN_PATH}",
        *[f"{k}={v}" for k, v in sorted(clean.items())],
        "/bin/bash",
        "--noprofile",
        "--norc",
        "-s",
    ]
    table = process_table(api, host_container) if reads_process_table(script) else ""
    stdin = script_text(script, table, tamper_scan)
    if target.agent_address and target.agent_key:
        try:
            return probe_agent.run(
                target.agent_address, target.agent_key, command, stdin=stdin, timeout=timeout
            )
        except probe_agent.AgentUnavailable as problem:
            log.info("probe agent of %s not used: %s", target.container, problem)
        except probe_agent.AgentRefused as problem:
            log.warning("probe agent of %s not believed: %s", target.container, problem)
    return run_command(
        api,
        target.container,
        command,
        user="root",
        stdin=stdin,
        timeout=timeout,
        env=None,
        workdir="/",
    )
