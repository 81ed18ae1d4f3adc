"""The Docker engine behind sandboxes: hosts on a private network, exec, terminals, teardown.

Every container, network and volume carries the labels `academy.sandbox=<id>` and
`academy.scope=<scope>`; the scope is derived from the database URL, so two platforms (or the
test suite and a developer's server) sharing one engine never reconcile each other's sandboxes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
from flask import Flask

from app.config import Settings
from app.sandboxes.disks import LOOP, TMPFS, SandboxDisks, loop_devices_usable
from app.sandboxes.engine import engine_url, lab_images, reachable, scope_for
from app.sandboxes.firewall import Firewall, Plan, firewall_for
from app.sandboxes.probes import (
    PROBE_CPU_GROUP,
    PROBE_CPU_SHARES,
    PROBE_LABEL,
    probe_cgroup_parent,
    probe_name,
    run_probe,
    start_probe,
    target_for,
)
from app.sandboxes.run_options import run_options
from app.sandboxes.streams import ExecResult, PtyChannel, open_login_shell, run_command
from app.sandboxes.subnets import SandboxNetworks, SubnetUse

log = logging.getLogger("academy.sandboxes")

LABEL = "academy.sandbox"
HOST_LABEL = "academy.host"
SCOPE_LABEL = "academy.scope"
BUILD_HINT = "run `academy images build`"
# CPU weights (Docker's cpu_shares; the engine's default is 1024). A sandbox host keeps the
# default; while a check runs in a sandbox, its hosts and probes weigh CHECK_CPU_SHARES, so a
# trainee waiting for a result is served before the machine's other sandboxes (their setups,
# background traffic, other trainees' commands). The caps (nano_cpus) still hold.
HOST_CPU_SHARES = 1024
CHECK_CPU_SHARES = 65536
# Where a local engine using cgroup v1's cgroupfs driver keeps its containers' CPU groups: the
# hosts under /docker, the probes under their own group (probes.PROBE_CGROUP_PARENT).
CPU_CGROUPS = Path("/sys/fs/cgroup/cpu/docker")


def _cpu_group(container_id: str) -> Path:
    """Return the CPU group directory of a container on a local cgroup v1 cgroupfs engine."""
    probe = PROBE_CPU_GROUP / container_id
    return probe if probe.is_dir() else CPU_CGROUPS / container_id


def _usual_shares(container: dict[str, Any]) -> int:
    """Return the CPU weight a sandbox container (from the engine's list) has between checks."""
    return PROBE_CPU_SHARES if PROBE_LABEL in container["Labels"] else HOST_CPU_SHARES


@dataclass(frozen=True)
class HostSpec:
    """One host of a sandbox: its name on the private network, its image and its hostname."""

    name: str
    image: str
    hostname: str
    # The host may manage its own network namespace's firewall (lab.yaml `net_admin: true`).
    net_admin: bool = False


@dataclass(frozen=True)
class Limits:
    """Resources one host may use."""

    memory_mb: int
    cpus: float
    pids: int
    disk_mb: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """Return the limits configured for every host."""
        return cls(
            settings.sandbox_memory_mb,
            settings.sandbox_cpus,
            settings.sandbox_pids,
            settings.sandbox_disk_mb,
        )


@dataclass(frozen=True)
class HostState:
    """A sandbox host's container as the engine reports it."""

    sandbox_id: str
    host: str
    running: bool
    status: str


class SandboxUnavailable(RuntimeError):
    """Sandboxes cannot be started or reached; the reason is safe to show to people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def container_name(sandbox_id: str, host: str) -> str:
    """Return the engine's name for a sandbox host's container."""
    return f"ac-{sandbox_id}-{host}"


def network_name(sandbox_id: str) -> str:
    """Return the engine's name for a sandbox's private network."""
    return f"ac-{sandbox_id}"


class DockerRuntime:
    """Sandboxes as containers on one Docker engine."""

    def __init__(
        self,
        client: docker.DockerClient,
        url: str,
        scope: str,
        disks: SandboxDisks,
        *,
        networks: SandboxNetworks | None = None,
        firewall: Firewall | None = None,
    ) -> None:
        self.client = client
        self.api: docker.APIClient = client.api
        self.url = url
        self.scope = scope
        self.disks = disks
        # Networks come from the platform's range; none is made without the host firewall.
        self.networks = networks or SandboxNetworks(DEFAULT_SUBNETS)
        self.firewall = firewall or Firewall(
            Plan(DEFAULT_SUBNETS, False), required=True, local=url.startswith("unix://")
        )
        # Sandboxes whose checks run now, with how many (check_priority).
        self._boosts: dict[str, int] = {}
        self._raising: dict[str, threading.Thread] = {}
        self._boost_lock = threading.Lock()

    @functools.cached_property
    def probe_parent(self) -> str | None:
        """Return the cgroup parent for probes (probes.probe_cgroup_parent), looked up once."""
        return probe_cgroup_parent(self.api, self.url.startswith("unix://"))

    # -- lifecycle ----------------------------------------------------------------------------

    def create(
        self,
        sandbox_id: str,
        hosts: list[HostSpec],
        limits: Limits,
        allow_outbound: bool,
        *,
        on_progress: Callable[[str], None] | None = None,
    ) -> None:
        """Create and start the sandbox's hosts on a private network of their own."""
        labels = {LABEL: sandbox_id, SCOPE_LABEL: self.scope}
        network = network_name(sandbox_id)
        problem = self.firewall.problem()
        if problem:
            raise SandboxUnavailable(problem)
        try:
            # --internal: no route out of the network, so no outbound connections; a small
            # subnet of the platform's range (subnets.py), fenced off the host (firewall.py).
            self.networks.create(
                self.api,
                network,
                sandbox_id=sandbox_id,
                hosts=len(hosts),
                internal=not allow_outbound,
                labels=labels,
            )
            for host in hosts:
                if on_progress:
                    on_progress(f"Starting {host.name} ({host.image})")
                self._start_host(sandbox_id, host, limits, network, labels)
        except Exception:
            self.destroy(sandbox_id)
            raise

    def _start_host(
        self, sandbox_id: str, host: HostSpec, limits: Limits, network: str, labels: dict[str, str]
    ) -> None:
        options = run_options(host.image, net_admin=host.net_admin)
        disk = self.disks.prepare(sandbox_id, host.name, limits.disk_mb, labels)
        memory = f"{limits.memory_mb}m"
        host_config = self.api.create_host_config(
            network_mode=network,
            read_only=True,
            mounts=[disk.mount] if disk.mount else [],
            tmpfs={**options.tmpfs, **({"/srv": disk.tmpfs} if disk.tmpfs else {})},
            extra_hosts=dict(options.extra_hosts),
            mem_limit=memory,
            memswap_limit=memory,
            nano_cpus=int(limits.cpus * 1_000_000_000),
            cpu_shares=HOST_CPU_SHARES,
            pids_limit=limits.pids,
            cap_drop=["ALL"],
            cap_add=list(options.cap_add),
            privileged=False,
            # Under memory pressure the kernel takes sandbox processes before the platform's.
            oom_score_adj=500,
            log_config={"type": "json-file", "config": {"max-size": "1m", "max-file": "1"}},
        )
        endpoint = self.api.create_endpoint_config(aliases=[host.name, host.hostname])
        container = self.api.create_container(
            host.image,
            name=container_name(sandbox_id, host.name),
            hostname=host.hostname,
            labels={**labels, HOST_LABEL: host.name},
            host_config=host_config,
            networking_config=self.api.create_networking_config({network: endpoint}),
            # The supervisor probes readiness and reconciles itself; the image's own HEALTHCHECK
            # (every 30 s) would cost each idle sandbox about 1 % of a core for nothing.
            healthcheck={"test": ["NONE"]},
        )
        self.api.start(container["Id"])
        start_probe(
            self.api,
            sandbox_id,
            host.name,
            host.image,
            disk.mount["Source"] if disk.mount else None,
            network,
            labels,
            self.probe_parent,
        )

    @contextlib.contextmanager
    def check_priority(self, sandbox_id: str) -> Iterator[None]:
        """Weigh a sandbox's hosts and probes CHECK_CPU_SHARES while the block runs (nested and
        concurrent blocks for one sandbox share the raise; the last one out puts it back).

        The raise is made beside the block, not before it: the engine takes 0.1 to 0.3 s to
        change the weights on a loaded machine, and the checks need not wait for that.
        """
        with self._boost_lock:
            first = self._boosts.get(sandbox_id, 0) == 0
            self._boosts[sandbox_id] = self._boosts.get(sandbox_id, 0) + 1
            if first:
                raising = threading.Thread(
                    target=self._weigh,
                    args=(sandbox_id,),
                    kwargs={"boosted": True},
                    name="check-priority",
                    daemon=True,
                )
                self._raising[sandbox_id] = raising
                raising.start()
        try:
            yield
        finally:
            with self._boost_lock:
                left = self._boosts.get(sandbox_id, 1) - 1
                if left:
                    self._boosts[sandbox_id] = left
                else:
                    self._boosts.pop(sandbox_id, None)
                    raised = self._raising.pop(sandbox_id, None)
            if not left:
                if raised is not None:
                    raised.join()
                self._weigh(sandbox_id, boosted=False)

    def _weigh(self, sandbox_id: str, *, boosted: bool) -> None:
        """Set the CPU weight of a sandbox's containers (a vanished one is no error)."""
        containers = self.api.containers(filters={"label": f"{LABEL}={sandbox_id}"})
        for container in containers:
            shares = CHECK_CPU_SHARES if boosted else _usual_shares(container)
            try:
                self._set_shares(container["Id"], shares)
            except docker.errors.APIError as error:
                log.info(
                    "cpu weight not changed",
                    extra={"fields": {"sandbox": sandbox_id, "error": str(error)[:200]}},
                )

    def reset_weights(self) -> int:
        """Put every running container of this scope back to its usual CPU weight, except those
        of sandboxes whose checks run in this process; return how many were changed.

        A worker that stopped in the middle of a check (killed, or the machine restarted under
        it) leaves that sandbox raised; the supervisor calls this when it starts.
        """
        with self._boost_lock:
            running = set(self._boosts)
        changed = 0
        scope = {"label": f"{SCOPE_LABEL}={self.scope}", "status": "running"}
        for container in self.api.containers(filters=scope):
            if container["Labels"].get(LABEL, "") in running:
                continue
            usual = _usual_shares(container)
            try:
                if self.cpu_shares(container["Id"]) == usual:
                    continue
                self._set_shares(container["Id"], usual)
            except docker.errors.APIError:
                continue  # removed meanwhile
            changed += 1
        return changed

    def _set_shares(self, container_id: str, shares: int) -> None:
        """Set a container's CPU weight: in its cgroup directly, through the engine otherwise.

        A local engine with cgroup v1's cgroupfs driver keeps each container's CPU weight in
        its group's cpu.shares (_cpu_group). Writing it there takes microseconds, where the
        engine's API takes 0.1 to 0.3 s on a loaded machine and starts a runtime process each
        time, which is CPU the checks wait for. Elsewhere (a remote engine, cgroup v2, a worker
        in a container) the API does it. The engine's own record keeps the usual weight; the
        block that raised the weight puts it back.
        """
        if self.url.startswith("unix://"):
            try:
                (_cpu_group(container_id) / "cpu.shares").write_text(f"{shares}\n")
                return
            except OSError:
                pass
        self.api.update_container(container_id, cpu_shares=shares)

    def cpu_shares(self, container: str) -> int:
        """Return a container's CPU weight as the kernel applies it (the engine's record where
        the cgroup cannot be read)."""
        details = self.api.inspect_container(container)
        if self.url.startswith("unix://"):
            try:
                return int((_cpu_group(details["Id"]) / "cpu.shares").read_text())
            except (OSError, ValueError):
                pass
        return int(details["HostConfig"]["CpuShares"] or HOST_CPU_SHARES)

    def destroy(self, sandbox_id: str) -> None:
        """Remove the sandbox's containers, network and disks (safe to repeat)."""
        for container in self.api.containers(all=True, filters={"label": f"{LABEL}={sandbox_id}"}):
            try:
                self.api.remove_container(container["Id"], force=True, v=True)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as error:
                # "removal already in progress": another job got there first.
                if error.status_code != 409:
                    raise
        for network in self.api.networks(filters={"label": f"{LABEL}={sandbox_id}"}):
            with contextlib.suppress(docker.errors.NotFound):
                self.api.remove_network(network["Id"])
        self.disks.release(sandbox_id)

    def wait_ready(
        self,
        sandbox_id: str,
        timeout: float,
        *,
        on_progress: Callable[[str, str], None] | None = None,
    ) -> bool:
        """Probe every host until all answer ready (True) or timeout passes (False).

        on_progress(host, what) hears what a host is still waiting for, e.g. "postgresql".
        """
        deadline = time.monotonic() + timeout
        waiting = self._hosts(sandbox_id)
        if not waiting:
            return False
        while waiting:
            for host, image in list(waiting.items()):
                probe = run_options(image).probe
                if not probe:
                    waiting.pop(host)
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                result = self.exec(sandbox_id, host, list(probe), timeout=min(10.0, remaining + 1))
                if result.exit_code == 0:
                    waiting.pop(host)
                elif not self._running(sandbox_id, host):
                    return False
                elif on_progress:
                    reason = (result.stderr or result.stdout).strip().removeprefix("not ready:")
                    on_progress(host, reason.strip() or "starting")
            if waiting and time.monotonic() >= deadline:
                return False
        return True

    # -- commands -----------------------------------------------------------------------------

    def exec(
        self,
        sandbox_id: str,
        host: str,
        command: list[str],
        *,
        user: str = "root",
        stdin: bytes | None = None,
        timeout: float = 30,
        env: dict[str, str] | None = None,
        workdir: str | None = None,
    ) -> ExecResult:
        """Run a command in a host and return its exit status and output.

        The command runs under `timeout` inside the host, so it is killed there when it overruns;
        the client also stops waiting a little later in case the host itself is stuck.
        """
        try:
            return run_command(
                self.api,
                container_name(sandbox_id, host),
                command,
                user=user,
                stdin=stdin,
                timeout=timeout,
                env=env,
                workdir=workdir,
            )
        except docker.errors.NotFound:
            return ExecResult(
                -1, "", f"host {host} of sandbox {sandbox_id} does not exist", 0.0, False
            )
        except docker.errors.APIError as error:
            return ExecResult(
                -1, "", f"cannot run in {host}: {error.explanation or error}", 0.0, False
            )

    def probe(
        self,
        sandbox_id: str,
        host: str,
        script: str,
        *,
        env: dict[str, str] | None = None,
        timeout: float = 30,
        tamper_scan: bool = True,
    ) -> ExecResult:
        """Run a check script in the host's probe, out of the trainee's reach (see probes.py)."""
        host_container = container_name(sandbox_id, host)
        try:
            if self.disks.mode == LOOP and not self.restore_probe(sandbox_id, host):
                return ExecResult(
                    -1, "", f"the probe of {host} is missing and could not be restored", 0.0, False
                )
            target = target_for(self.api, host_container, probe_name(sandbox_id, host))
            return run_probe(
                self.api,
                target,
                host_container,
                script,
                env=env or {},
                timeout=timeout,
                tamper_scan=tamper_scan,
            )
        except docker.errors.NotFound:
            return ExecResult(
                -1, "", f"host {host} of sandbox {sandbox_id} does not exist", 0.0, False
            )
        except docker.errors.APIError as error:
            return ExecResult(
                -1, "", f"cannot probe {host}: {error.explanation or error}", 0.0, False
            )

    def restore_probe(self, sandbox_id: str, host: str) -> bool:
        """Start the host's probe again if it stopped or was removed; False if that failed.

        Checks never fall back to running inside the trainee's host while its disk can be
        shared: a probe that vanished (removed by hand, lost in an engine restart) comes back.
        """
        name = probe_name(sandbox_id, host)
        try:
            info = self.api.inspect_container(name)
        except docker.errors.NotFound:
            info = None
        try:
            if info is not None:
                if not info["State"]["Running"]:
                    log.warning("probe %s was stopped; starting it again", name)
                    self.api.start(name)
                return True
            host_info = self.api.inspect_container(container_name(sandbox_id, host))
            if not host_info["State"]["Running"]:
                return False
            volume = next(
                (
                    m.get("Name")
                    for m in host_info.get("Mounts", [])
                    if m.get("Destination") == "/srv"
                ),
                None,
            )
            if volume is None:
                return False
            log.warning("probe %s was missing; starting a new one", name)
            labels = {LABEL: sandbox_id, SCOPE_LABEL: self.scope}
            start_probe(
                self.api,
                sandbox_id,
                host,
                host_info["Config"]["Image"],
                volume,
                network_name(sandbox_id),
                labels,
                self.probe_parent,
            )
            return True
        except docker.errors.APIError as error:
            log.warning("could not restore probe %s: %s", name, error)
            return False

    def open_pty(self, sandbox_id: str, host: str, user: str, cols: int, rows: int) -> PtyChannel:
        """Start a login shell for user in the host on a terminal of the given size."""
        return open_login_shell(self.api, container_name(sandbox_id, host), user, cols, rows)

    # -- state --------------------------------------------------------------------------------

    def list_sandbox_ids(self) -> set[str]:
        """Return the ids of every sandbox of this scope that has containers on the engine."""
        return {state.sandbox_id for state in self.host_states()}

    def host_states(self) -> list[HostState]:
        """Return every container of this scope with whether it runs."""
        containers = self.api.containers(all=True, filters={"label": f"{SCOPE_LABEL}={self.scope}"})
        return [
            HostState(
                c["Labels"].get(LABEL, ""),
                c["Labels"].get(HOST_LABEL, ""),
                c.get("State") == "running",
                c.get("Status", ""),
            )
            for c in containers
            if PROBE_LABEL not in c["Labels"]
        ]

    def probe_states(self) -> dict[tuple[str, str], bool]:
        """Return (sandbox id, host) → whether its probe runs, for every probe of this scope."""
        containers = self.api.containers(all=True, filters={"label": f"{SCOPE_LABEL}={self.scope}"})
        return {
            (c["Labels"].get(LABEL, ""), c["Labels"][PROBE_LABEL]): c.get("State") == "running"
            for c in containers
            if PROBE_LABEL in c["Labels"]
        }

    def network_ids(self) -> set[str]:
        """Return the ids of sandboxes of this scope that have a network on the engine."""
        scope = {"label": f"{SCOPE_LABEL}={self.scope}"}
        found = {(n.get("Labels") or {}).get(LABEL, "") for n in self.api.networks(filters=scope)}
        return found - {""}

    def leftover_ids(self) -> set[str]:
        """Return the ids of sandboxes of this scope with a network or volume on the engine."""
        scope = {"label": f"{SCOPE_LABEL}={self.scope}"}
        found = self.network_ids()
        for volume in self.api.volumes(filters=scope).get("Volumes") or []:
            found.add((volume.get("Labels") or {}).get(LABEL, ""))
        return found - {""}

    def subnet_usage(self) -> SubnetUse:
        """Return how many sandbox subnets are free in the platform's range."""
        return self.networks.usage(self.api)

    def alive(self, sandbox_id: str) -> bool:
        """Tell whether every host of the sandbox exists and runs."""
        containers = self.api.containers(all=True, filters={"label": f"{LABEL}={sandbox_id}"})
        return bool(containers) and all(c.get("State") == "running" for c in containers)

    def _hosts(self, sandbox_id: str) -> dict[str, str]:
        containers = self.api.containers(all=True, filters={"label": f"{LABEL}={sandbox_id}"})
        return {
            c["Labels"].get(HOST_LABEL, ""): c["Image"]
            for c in containers
            if PROBE_LABEL not in c["Labels"]
        }

    def _running(self, sandbox_id: str, host: str) -> bool:
        try:
            info = self.api.inspect_container(container_name(sandbox_id, host))
        except docker.errors.NotFound:
            return False
        return bool(info["State"]["Running"])

    def memory_mb(self, sandbox_id: str) -> float:
        """Return the memory the sandbox's hosts use now, page cache excluded, in MB."""
        total = 0.0
        for container in self.api.containers(filters={"label": f"{LABEL}={sandbox_id}"}):
            stats = self.api.stats(container["Id"], stream=False, one_shot=True)
            memory = stats.get("memory_stats", {})
            detail = memory.get("stats", {})
            cache = detail.get("total_inactive_file", detail.get("inactive_file", 0))
            total += max(0, memory.get("usage", 0) - cache) / (1024 * 1024)
        return round(total, 1)

    def missing_images(self, images: Iterable[str]) -> list[str]:
        """Return the images (of those named) the engine does not have."""
        missing = []
        for image in sorted(set(images)):
            try:
                self.api.inspect_image(image)
            except docker.errors.ImageNotFound:
                missing.append(image)
        return missing

    def engine_version(self) -> str:
        """Return the engine's version string."""
        return str(self.api.version().get("Version", "?"))


# -- the application's runtime ----------------------------------------------------------------

CHECK_SECONDS = 5.0
DEFAULT_SUBNETS = "10.213.0.0/16"


class _RuntimeState:
    """The app's runtime and the latest verdict on whether it works."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runtime: DockerRuntime | None = None
        self.checked_at = 0.0
        self.problem: str | None = None


def get_runtime(app: Flask, images: Iterable[str] | None = None) -> DockerRuntime:
    """Return the app's runtime, or raise SandboxUnavailable saying why sandboxes cannot run.

    Without images, every lab image must exist; with images, only those (and none for a plain
    exec or destroy). The engine's verdict is cached for a few seconds, so that pages asking on
    every request stay fast even when the engine is down.
    """
    settings: Settings = app.config["ACADEMY"]
    state: _RuntimeState = app.extensions.setdefault("academy.sandbox_runtime", _RuntimeState())
    with state.lock:
        now = time.monotonic()
        if state.runtime is None or now - state.checked_at > CHECK_SECONDS:
            state.problem = _check(state, settings, lab_images(settings))
            state.checked_at = now
        problem, runtime = state.problem, state.runtime
    if images is not None and (problem is None or BUILD_HINT in problem) and runtime is not None:
        # A missing lab image matters only to the sandboxes that use it.
        missing = runtime.missing_images(images)
        problem = _missing_message(missing) if missing else None
    if problem:
        raise SandboxUnavailable(problem)
    assert runtime is not None
    return runtime


def _check(state: _RuntimeState, settings: Settings, images: list[str]) -> str | None:
    url = engine_url(settings)
    problem = reachable(url)
    if problem:
        return problem
    try:
        if state.runtime is None:
            client = docker.DockerClient(base_url=url, timeout=120)
            local = url.startswith("unix://")
            mode = LOOP if loop_devices_usable(local) else TMPFS
            disks = SandboxDisks(client.api, settings.instance_dir / "sandbox-disks", mode)
            state.runtime = DockerRuntime(
                client,
                url,
                scope_for(settings),
                disks,
                networks=SandboxNetworks(settings.sandbox_subnets),
                firewall=firewall_for(settings),
            )
        state.runtime.api.ping()
        missing = state.runtime.missing_images(images)
    except docker.errors.DockerException as error:
        return f"The Docker engine at {url} is not answering ({error}). Labs are unavailable."
    return _missing_message(missing) if missing else None


def _missing_message(images: list[str]) -> str:
    return (
        f"The sandbox image {', '.join(images)} is not built on this machine, so labs are "
        f"unavailable: {BUILD_HINT}."
    )
