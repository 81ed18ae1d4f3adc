"""How many sandbox hosts may run at once: memory, CPU, disk and networks together.

Each resource gives a bound (the total number of hosts it allows at once); capacity is the
tightest. Two ways to budget, chosen by `ACADEMY_SANDBOX_MAX_HOSTS`:

* **By limit** (the default, 0): every host may use everything it is allowed, and that worst case
  must fit. Memory: each host's limit plus its probe's 96 MB limit (a check can briefly use tens
  of MB there, so probes are budgeted by limit too). Disk: every sandbox disk written full (the
  free space of the disks folder, minus `ACADEMY_DISK_RESERVE_MB`, minus what the existing disks
  could still grow by). Nothing can run the machine out of memory or disk.
* **Overcommitted** (a number of hosts): the operator knows sandboxes idle far below their limits
  and sets the host count; memory and disk are then budgeted by what an idle host really uses
  (IDLE_HOST_MB, IDLE_DISK_MB, measured by `academy bench sandboxes`) against what is free now,
  so starts stop before the machine runs short.

Either way CPU is budgeted by idle use (a host's CPU limit is what one busy trainee may take, not
what each takes: by limit two cores would hold two hosts), networks by the subnets left in the
platform's range, and nothing new starts while free memory or disk is below its reserve or the
host firewall is not in place (`refusal`, shown on the admin page and to waiting trainees).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from app.config import Settings
from app.sandboxes.disks import LOOP
from app.sandboxes.engine import engine_url
from app.sandboxes.firewall import firewall_for
from app.sandboxes.probes import PROBE_MEMORY
from app.sandboxes.runtime import SandboxUnavailable, get_runtime

# Memory kept back for the platform, its database and the operating system.
RESERVED_MB = 2048
PROBE_MB = int(PROBE_MEMORY.rstrip("m"))
# What an idle host costs with its probe (cgroup memory of both plus the engine's two
# per-container shims), its disk, and its CPU in % of one core; measured by `academy bench
# sandboxes` with 150 hosts running at once (65 MB in their cgroups, 80 MB of disk, 0.9 % of a
# core each: more than the 0.2 % a handful of idle sandboxes use), rounded up for margin.
IDLE_HOST_MB = 100
IDLE_DISK_MB = 100
IDLE_HOST_CPU_PERCENT = 1.0
# The share of the machine's cores idle sandboxes may take; the rest is for the platform and for
# the trainees actually working.
CPU_SHARE_PERCENT = 80


@dataclass(frozen=True)
class Bound:
    """What one resource allows: a total number of hosts at once, and how that was worked out."""

    resource: str
    hosts: int
    detail: str


@dataclass(frozen=True)
class Capacity:
    """The bounds, the tightest one, and why nothing may start right now (if so)."""

    in_use: int
    bounds: tuple[Bound, ...]
    refusal: str | None = None

    @property
    def hosts(self) -> int:
        """Return how many hosts may run at once."""
        return min((b.hosts for b in self.bounds), default=0)

    @property
    def limit(self) -> Bound | None:
        """Return the tightest bound."""
        return min(self.bounds, key=lambda b: b.hosts, default=None)

    @property
    def free(self) -> int:
        """Return how many more hosts may start now."""
        return 0 if self.refusal else max(0, self.hosts - self.in_use)


def machine_memory_mb() -> int:
    """Return this machine's memory in MB."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1024 * 1024))
    except (ValueError, OSError):
        return 4096


def available_memory_mb() -> int | None:
    """Return the memory the kernel says is available for new work (MemAvailable), in MB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def disks_root(settings: Settings) -> Path:
    """Return the folder the sandbox disk files live in."""
    return settings.instance_dir / "sandbox-disks"


def disk_figures(settings: Settings) -> tuple[int, int]:
    """Return the disks folder's free MB, and the MB the existing disks could still grow by."""
    root = disks_root(settings)
    where = root if root.is_dir() else settings.instance_dir
    while not where.exists() and where != where.parent:
        where = where.parent
    free = shutil.disk_usage(where).free // (1024 * 1024)
    growth = 0
    if root.is_dir():
        for image in root.glob("*/*.img"):
            try:
                stat = image.stat()
            except OSError:
                continue
            growth += max(0, stat.st_size - stat.st_blocks * 512)
    return int(free), growth // (1024 * 1024)


def measure(app: Flask, settings: Settings, in_use: int) -> Capacity:
    """Return the machine's capacity for sandbox hosts, with in_use hosts already running."""
    overcommit = settings.sandbox_max_hosts > 0
    local = engine_url(settings).startswith("unix://")
    bounds: list[Bound] = []
    refusals: list[str] = []
    try:
        runtime = get_runtime(app, images=[])
    except SandboxUnavailable:
        runtime = None
    loop = runtime is not None and runtime.disks.mode == LOOP
    probe_mb = PROBE_MB if loop else 0

    # Memory.
    total = machine_memory_mb()
    available = available_memory_mb() if local else None
    if overcommit:
        bounds.append(
            Bound(
                "configured",
                settings.sandbox_max_hosts,
                "ACADEMY_SANDBOX_MAX_HOSTS (memory and disk overcommitted on purpose)",
            )
        )
        if available is not None:
            room = max(0, available - RESERVED_MB) // IDLE_HOST_MB
            bounds.append(
                Bound(
                    "memory",
                    in_use + room,
                    f"{available} MB available now, {RESERVED_MB} MB kept for the platform, "
                    f"about {IDLE_HOST_MB} MB per idle host with its probe",
                )
            )
    else:
        per_host = settings.sandbox_memory_mb + probe_mb
        bounds.append(
            Bound(
                "memory",
                max(0, total - RESERVED_MB) // per_host,
                f"({total} MB - {RESERVED_MB} MB kept for the platform) / {per_host} MB per host "
                f"at its limit ({settings.sandbox_memory_mb} MB"
                + (f" + its probe's {probe_mb} MB)" if probe_mb else ")"),
            )
        )
    if available is not None and available < RESERVED_MB + IDLE_HOST_MB:
        refusals.append(
            f"only {available} MB of memory is available (keeping {RESERVED_MB} MB for the "
            "platform)"
        )

    # CPU.
    cores = os.cpu_count() or 1
    bounds.append(
        Bound(
            "cpu",
            int(cores * CPU_SHARE_PERCENT / IDLE_HOST_CPU_PERCENT),
            f"{CPU_SHARE_PERCENT} % of {cores} cores at about {IDLE_HOST_CPU_PERCENT} % of a "
            "core per idle host with its probe",
        )
    )

    # Disk (the loop files; a tmpfs /srv counts against memory instead).
    if loop:
        free, growth = disk_figures(settings)
        reserve = settings.disk_reserve_mb
        if overcommit:
            room = max(0, free - reserve) // IDLE_DISK_MB
            detail = (
                f"{free} MB free, {reserve} MB kept, about {IDLE_DISK_MB} MB written per idle host"
            )
        else:
            room = max(0, free - reserve - growth) // settings.sandbox_disk_mb
            detail = (
                f"{free} MB free - {reserve} MB kept - {growth} MB the existing disks may still "
                f"grow by, / {settings.sandbox_disk_mb} MB per host (every disk full)"
            )
        bounds.append(Bound("disk", in_use + room, detail))
        if free < reserve + IDLE_DISK_MB:
            refusals.append(
                f"only {free} MB of disk is free for sandbox disks (keeping {reserve} MB)"
            )

    # Networks.
    if runtime is not None:
        try:
            usage = runtime.subnet_usage()
        except Exception as error:  # the engine went away meanwhile
            refusals.append(f"the engine's networks could not be listed ({error})")
        else:
            bounds.append(
                Bound(
                    "networks",
                    in_use + usage.free,
                    f"{usage.free} of {usage.total} /{usage.prefix} subnets free in {usage.space}",
                )
            )
            if usage.free == 0:
                refusals.append(f"no subnet is left in {usage.space} (ACADEMY_SANDBOX_SUBNETS)")

    # Without an engine here (the web under docker-compose) the worker, which starts the
    # sandboxes, applies the firewall's refusal; this process has no rules to look at.
    local_rules = settings.sandbox_engine != "worker"
    problem = firewall_for(settings).problem() if local_rules else None
    if problem:
        refusals.insert(0, problem)
    refusal = "; ".join(refusals) if refusals else None
    return Capacity(in_use, tuple(bounds), refusal)
