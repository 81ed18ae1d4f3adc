"""How each lab image must be run: capabilities, tmpfs mounts, host names, readiness probe.

The values come from the image's README (labs/images/<name>/README.md), which documents the
exact `docker run` flags it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class HostRunOptions:
    """How an image must be run (from its README): capabilities, tmpfs, names, probe."""

    cap_add: tuple[str, ...] = ()
    tmpfs: dict[str, str] = field(default_factory=dict)
    extra_hosts: dict[str, str] = field(default_factory=dict)
    probe: tuple[str, ...] = ()
    terminal_user: str = "root"


# How each image must run, from its README (labs/images/<name>/README.md). The ImpactLink server
# gets back only the capabilities it needs after dropping all: change owners and users (sudo,
# runuser, PostgreSQL), bind 443 (Nginx), signal its services, write sudo's audit log, and
# chroot (sshd's privilege separation; Docker grants it by default). Nothing grants it the
# network, mounts or devices. /etc/hosts is read-only under --read-only, so the engine adds the
# production domain.
IMPACTLINK_SERVER = HostRunOptions(
    cap_add=(
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "SETUID",
        "SETGID",
        "KILL",
        "NET_BIND_SERVICE",
        "AUDIT_WRITE",
        "SYS_CHROOT",
    ),
    tmpfs={
        "/run": "rw,nosuid,nodev,size=64m,mode=755",
        "/tmp": "rw,nosuid,nodev,size=256m,mode=1777",  # noqa: S108 - the sandbox's own /tmp
    },
    extra_hosts={"impactlink.solovedhelpinghands.org.za": "127.0.0.1"},
    probe=("/usr/local/bin/impactlink-ready", "--wait", "1", "--verbose"),
    terminal_user="impactlink",
)
RUN_OPTIONS: dict[str, HostRunOptions] = {"impactlink-server": IMPACTLINK_SERVER}
DEFAULT_RUN_OPTIONS = HostRunOptions(
    tmpfs={"/run": "rw,size=64m", "/tmp": "rw,size=256m"}  # noqa: S108 - the sandbox's own /tmp
)


# Only for a host whose lab.yaml entry says `net_admin: true` (a firewall lab): NET_ADMIN lets
# the host manage its own network namespace (nftables rules, its interfaces, its routes). Each
# sandbox container has a network namespace of its own, so the capability reaches nothing of the
# Docker host or of other sandboxes; the platform's firewall (firewall.py) still fences the
# sandbox's bridge off the host by interface, whatever addresses the container gives itself.
NET_ADMIN = "NET_ADMIN"


def run_options(image: str, *, net_admin: bool = False) -> HostRunOptions:
    """Return how to run an image (by name, without tag); net_admin adds NET_ADMIN, never else."""
    options = RUN_OPTIONS.get(image.split(":", 1)[0], DEFAULT_RUN_OPTIONS)
    if net_admin and NET_ADMIN not in options.cap_add:
        options = replace(options, cap_add=(*options.cap_add, NET_ADMIN))
    return options
