"""A trainee who fills the disk, eats memory or forks without end hurts only their own sandbox."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator

import docker
import pytest

from app.sandboxes.runtime import DockerRuntime, Limits, container_name
from tests.sandboxes.conftest import PROD

pytestmark = pytest.mark.docker

# Small limits keep the test quick; the mechanisms are the ones every sandbox gets.
ABUSE_LIMITS = Limits(memory_mb=512, cpus=1.0, pids=256, disk_mb=512)


@pytest.fixture(scope="module")
def abused(runtime: DockerRuntime) -> Iterator[str]:
    """A sandbox of its own to abuse, destroyed afterwards."""
    sandbox_id = uuid.uuid4().hex
    runtime.create(sandbox_id, PROD, ABUSE_LIMITS, allow_outbound=False)
    try:
        assert runtime.wait_ready(sandbox_id, 90)
        yield sandbox_id
    finally:
        runtime.destroy(sandbox_id)


def _machine_is_fine(runtime: DockerRuntime, neighbour: str) -> None:
    """The machine can still start processes, the engine answers and a neighbour still works."""
    assert subprocess.run(["true"], check=False).returncode == 0
    assert runtime.api.ping()
    health = runtime.exec(neighbour, "prod", ["/usr/local/bin/impactlink-ready"], timeout=20)
    assert health.ok, health.stderr


def test_writing_past_the_disk_cap_fails_with_enospc(runtime, abused, shared_sandbox):
    free_before = subprocess.run(
        ["df", "--output=avail", "/"], capture_output=True, text=True, check=True
    )
    result = runtime.exec(
        abused,
        "prod",
        [
            "sh",
            "-c",
            "dd if=/dev/zero of=/home/impactlink/fill bs=1M count=2048 2>&1; echo exit=$?",
        ],
        user="impactlink",
        timeout=120,
    )
    assert "No space left on device" in result.stdout
    assert "exit=1" in result.stdout
    size = runtime.exec(abused, "prod", ["stat", "-c", "%s", "/home/impactlink/fill"])
    assert int(size.stdout) < ABUSE_LIMITS.disk_mb * 1024 * 1024
    free_after = subprocess.run(
        ["df", "--output=avail", "/"], capture_output=True, text=True, check=True
    )
    used_kb = int(free_before.stdout.split()[-1]) - int(free_after.stdout.split()[-1])
    assert used_kb < (ABUSE_LIMITS.disk_mb + 64) * 1024
    # The read-only root cannot be filled instead.
    root = runtime.exec(
        abused, "prod", ["sh", "-c", "dd if=/dev/zero of=/var/cache/fill bs=1M count=10 2>&1"]
    )
    assert "Read-only file system" in root.stdout
    runtime.exec(abused, "prod", ["rm", "-f", "/home/impactlink/fill"])
    _machine_is_fine(runtime, shared_sandbox)


def test_a_memory_hog_is_killed(runtime, abused, shared_sandbox):
    # stress-ng's --vm workers would be restarted; a plain allocation loop shows the kill.
    hog = runtime.exec(
        abused,
        "prod",
        ["sh", "-c", "tail /dev/zero; echo status=$?"],
        user="impactlink",
        timeout=60,
    )
    assert "status=137" in hog.stdout, hog.stdout + hog.stderr  # SIGKILL from the OOM killer
    state = runtime.api.inspect_container(container_name(abused, "prod"))["State"]
    assert state["Running"]
    alive = runtime.exec(abused, "prod", ["sh", "-c", "echo still here"])
    assert alive.stdout.strip() == "still here"
    _machine_is_fine(runtime, shared_sandbox)


def test_a_fork_bomb_meets_the_pids_limit(runtime, abused, shared_sandbox):
    bomb = runtime.exec(
        abused,
        "prod",
        ["bash", "-c", "bomb() { bomb | bomb & }; bomb; sleep 8; echo launched"],
        user="impactlink",
        timeout=10,
    )
    container = runtime.api.inspect_container(container_name(abused, "prod"))
    pids_now = runtime.api.stats(container["Id"], stream=False, one_shot=True)["pids_stats"]
    # The bomb fills the sandbox's process table up to the limit (its processes die and are
    # replaced all the time, so a sample may catch a few slots free), and forking fails there.
    assert pids_now.get("limit") == ABUSE_LIMITS.pids
    assert ABUSE_LIMITS.pids - 16 <= pids_now.get("current", 0) <= ABUSE_LIMITS.pids
    assert "Resource temporarily unavailable" in bomb.stderr
    _machine_is_fine(runtime, shared_sandbox)
    # The sandbox can be destroyed while the bomb still runs.
    runtime.destroy(abused)
    with pytest.raises(docker.errors.NotFound):
        runtime.api.inspect_container(container["Id"])
