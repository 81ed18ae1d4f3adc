"""Where the machine's CPU goes while the load bench runs (Linux only: reads /proc and cgroups).

    python -m app.loadbench.cpu record OUT.jsonl --every 2 --scope SCOPE --group web=PID ...
    python -m app.loadbench.cpu summary OUT.jsonl [--since EPOCH] [--until EPOCH]

`record` writes, every few seconds until it is stopped (SIGTERM), the CPU seconds used so far by
each named process tree, by the sandbox containers of one platform scope (their cgroups), by
all containers, and by the whole machine. `summary` turns two samples into cores used per group;
"other" is what none of the groups used (other work on the machine, the kernel).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from app.sandboxes.probes import PROBE_CGROUP_PARENT

TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
CGROUP_DOCKER = Path("/sys/fs/cgroup/cpuacct/docker")
# Probes run beside it, in a group of their own (app/sandboxes/probes.py).
CGROUP_PROBES = Path("/sys/fs/cgroup/cpuacct") / PROBE_CGROUP_PARENT.strip("/")


def _stat(pid: int) -> tuple[int, float] | None:
    """Return (parent pid, CPU seconds of the process and its reaped children)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # After the command: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based.
    ppid = int(fields[1])
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ppid, ticks / TICK


def process_table() -> dict[int, tuple[int, float]]:
    """Return every process's parent and CPU seconds."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (found := _stat(int(entry))) is not None:
            table[int(entry)] = found
    return table


def tree_seconds(table: dict[int, tuple[int, float]], root: int) -> float:
    """Return the CPU seconds of a process and all its descendants."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo += children.get(pid, [])
    return total


def machine_seconds() -> float:
    """Return the CPU seconds the machine has been busy (all cores)."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[:8])
    return (user + nice + system + irq + softirq + steal) / TICK


def _cgroup_seconds(container_id: str) -> float | None:
    """Return a container's CPU seconds, or every container's for an empty id."""
    if not container_id:
        groups = [_usage(CGROUP_DOCKER), _usage(CGROUP_PROBES)]
        found = [g for g in groups if g is not None]
        return sum(found) if found else None
    used = _usage(CGROUP_DOCKER / container_id)
    return used if used is not None else _usage(CGROUP_PROBES / container_id)


def _usage(path: Path) -> float | None:
    try:
        return int((path / "cpuacct.usage").read_text()) / 1e9
    except (OSError, ValueError):
        return None


def _scope_containers(scope: str) -> list[str]:
    try:
        out = subprocess.run(
            ["docker", "ps", "-q", "--no-trunc", "--filter", f"label=academy.scope={scope}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return out.split()


class Recorder:
    """Samples the groups; containers that go away keep the seconds they had used."""

    def __init__(self, groups: dict[str, int], scope: str | None) -> None:
        self.groups = groups
        self.scope = scope
        self.seen: dict[str, float] = {}

    def sample(self) -> dict[str, Any]:
        """Return the cumulative CPU seconds of every group now."""
        table = process_table()
        values = {name: tree_seconds(table, pid) for name, pid in self.groups.items()}
        if self.scope:
            for container in _scope_containers(self.scope):
                used = _cgroup_seconds(container)
                if used is not None:
                    self.seen[container] = used
            values["sandboxes (this run)"] = sum(self.seen.values())
        everything = _cgroup_seconds("")  # the engine's group and the probes': every container
        if everything is not None:
            values["containers (all)"] = everything
        values["machine"] = machine_seconds()
        return {"t": time.time(), "cpu": values}


def summarise(
    samples: list[dict[str, Any]], since: float | None, until: float | None
) -> dict[str, Any]:
    """Return cores used per group between the first and last sample inside the window."""
    chosen = [
        s
        for s in samples
        if (since is None or s["t"] >= since) and (until is None or s["t"] <= until)
    ]
    if len(chosen) < 2:
        chosen = samples[:1] + samples[-1:]
    if len(chosen) < 2:
        return {}
    first, last = chosen[0], chosen[-1]
    seconds = last["t"] - first["t"]
    if seconds <= 0:
        return {}
    cores = {
        name: round((last["cpu"][name] - first["cpu"].get(name, 0.0)) / seconds, 2)
        for name in last["cpu"]
    }
    named = [
        v
        for k, v in cores.items()
        if k not in ("machine", "containers (all)", "sandboxes (this run)")
    ]
    cores["other (not in any group above)"] = round(
        cores.get("machine", 0.0) - sum(named) - cores.get("containers (all)", 0.0), 2
    )
    return {"seconds": round(seconds, 1), "cores": cores, "machine_cores": os.cpu_count()}


def _record(args: argparse.Namespace) -> int:
    groups = {}
    for item in args.groups:
        name, _, pid = item.partition("=")
        if pid.isdigit():
            groups[name] = int(pid)
    recorder = Recorder(groups, args.scope)
    running = True

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    with open(args.out, "a", encoding="utf-8") as out:
        while running:
            out.write(json.dumps(recorder.sample()) + "\n")
            out.flush()
            deadline = time.monotonic() + args.every
            while running and time.monotonic() < deadline:
                time.sleep(0.2)
        out.write(json.dumps(recorder.sample()) + "\n")
    return 0


def _summary(args: argparse.Namespace) -> int:
    lines = Path(args.file).read_text().splitlines()
    samples = [json.loads(line) for line in lines if line.strip()]
    print(json.dumps(summarise(samples, args.since, args.until)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run `record` or `summary`."""
    parser = argparse.ArgumentParser(prog="python -m app.loadbench.cpu")
    commands = parser.add_subparsers(dest="command", required=True)
    record = commands.add_parser("record")
    record.add_argument("out")
    record.add_argument(
        "--group", dest="groups", action="append", default=[], help="name=PID: a process tree"
    )
    record.add_argument("--every", type=float, default=2.0)
    record.add_argument("--scope", default=None)
    summary = commands.add_parser("summary")
    summary.add_argument("file")
    summary.add_argument("--since", type=float, default=None)
    summary.add_argument("--until", type=float, default=None)
    args = parser.parse_args(argv)
    return _record(args) if args.command == "record" else _summary(args)


if __name__ == "__main__":
    sys.exit(main())
