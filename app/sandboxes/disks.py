"""A writable disk per sandbox host with a size cap that holds on a plain ext4 machine.

Docker's overlay2 on ext4 has no per-container quota, so a trainee's `dd` would fill the
machine. Each host instead gets its own small ext4 file system: a sparse file, formatted and
attached to a loop device, handed to the engine as a local volume mounted at /srv. A full /srv
fails with ENOSPC inside the sandbox and nowhere else; it is mounted with `discard`, so deleting
files returns their blocks to the machine. Where loop devices cannot be used (not
root, no loop support, or a remote engine that cannot see this machine's devices) the disk is a
size-capped tmpfs instead, which the memory limit also bounds.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from docker.types import Mount

log = logging.getLogger("academy.sandboxes")

LOOP = "loop"
TMPFS = "tmpfs"
SAFE_PART = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True)
class Disk:
    """How a host's /srv is provided: an engine volume mount, or tmpfs options."""

    mount: Mount | None = None
    tmpfs: str | None = None


def loop_devices_usable(local_engine: bool) -> bool:
    """Tell whether loop-mounted ext4 disks can be made here for this engine."""
    return (
        local_engine
        and os.geteuid() == 0
        and Path("/dev/loop-control").exists()
        and shutil.which("losetup") is not None
        and shutil.which("mkfs.ext4") is not None
    )


class SandboxDisks:
    """Make and remove the capped /srv disks of sandbox hosts."""

    def __init__(self, api: docker.APIClient, root: Path, mode: str) -> None:
        self.api = api
        self.root = root
        self.mode = mode

    def describe(self) -> str:
        """Say in words how disks are capped here."""
        if self.mode == LOOP:
            return f"loop-mounted ext4 file per host under {self.root}"
        return "size-capped tmpfs per host (loop devices unavailable; counts against memory)"

    def prepare(self, sandbox_id: str, host: str, size_mb: int, labels: dict[str, str]) -> Disk:
        """Create the host's disk and return how to put it at /srv."""
        if not (SAFE_PART.match(host) and re.fullmatch(r"[0-9a-f]{32}", sandbox_id)):
            raise ValueError(f"unsafe sandbox id or host name: {sandbox_id!r} {host!r}")
        if self.mode != LOOP:
            # exec: the ops scripts live under /srv.
            return Disk(tmpfs=f"rw,nosuid,nodev,exec,size={size_mb}m,mode=755")
        folder = self.root / sandbox_id
        folder.mkdir(parents=True, exist_ok=True)
        image = folder / f"{host}.img"
        with image.open("wb") as handle:
            handle.truncate(size_mb * 1024 * 1024)
        # No reserved blocks: the cap is the whole size, for root inside the sandbox too. No
        # journal: the disk lives and dies with its sandbox, and a 2 GB file system's journal
        # would take another 64 MB of the machine's disk per host.
        _run(["mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal", "-L", "srv", str(image)])
        device = _run(["losetup", "--find", "--show", str(image)]).strip()
        volume = volume_name(sandbox_id, host)
        self.api.create_volume(
            name=volume,
            driver="local",
            # discard: files deleted in /srv punch holes in the sparse file, so the machine gets
            # the space back at once instead of when the sandbox is destroyed.
            driver_opts={"type": "ext4", "device": device, "o": "discard"},
            labels=labels,
        )
        return Disk(mount=Mount(target="/srv", source=volume, type="volume"))

    def release(self, sandbox_id: str) -> None:
        """Remove the sandbox's volumes, loop devices and disk files (safe to repeat)."""
        for volume in (
            self.api.volumes(filters={"label": f"academy.sandbox={sandbox_id}"}).get("Volumes")
            or []
        ):
            try:
                self.api.remove_volume(volume["Name"], force=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as error:
                log.warning("could not remove volume %s: %s", volume["Name"], error)
        folder = self.root / sandbox_id
        if not folder.is_dir():
            return
        for image in folder.glob("*.img"):
            for device in _devices_for(image):
                _run(["losetup", "--detach", device], check=False)
        shutil.rmtree(folder, ignore_errors=True)

    def known_ids(self) -> set[str]:
        """Return the sandbox ids that have disk files on this machine."""
        if not self.root.is_dir():
            return set()
        return {p.name for p in self.root.iterdir() if re.fullmatch(r"[0-9a-f]{32}", p.name)}


def volume_name(sandbox_id: str, host: str) -> str:
    """Return the engine volume name of a host's disk."""
    return f"ac-{sandbox_id}-{host}"


def _devices_for(image: Path) -> list[str]:
    out = _run(
        ["losetup", "--associated", str(image), "--noheadings", "--output", "NAME"], check=False
    )
    return [line.strip() for line in out.splitlines() if line.strip().startswith("/dev/loop")]


def _run(command: list[str], check: bool = True) -> str:
    done: subprocess.CompletedProcess[Any] = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=60
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip() or done.returncode}")
    return str(done.stdout)
