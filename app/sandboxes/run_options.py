"""How each lab image must be run: capabilities, tmpfs mounts, host names, readiness probe.

The values come from the image's README (labs/images/<name>/README.md), which documents the
exact `docker run` flags it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
# runuser, PostgreSQL), bind 443 (Nginx), signal its services, write sudo's audit log. Nothing
# grants it the network, mounts or devices. /etc/hosts is read-only under --read-only, so the
# engine adds the production domain.
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


def run_options(image: str) -> HostRunOptions:
    """Return how to run an image (by name, without tag)."""
    return RUN_OPTIONS.get(image.split(":", 1)[0], DEFAULT_RUN_OPTIONS)
