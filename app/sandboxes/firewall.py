"""Host isolation: iptables rules that fence sandbox networks off the host and everything else.

A sandbox network is a Linux bridge whose gateway address belongs to the host, so without these
rules anything the host serves on 0.0.0.0 answers from inside a sandbox, through the gateway or
any other address of the host (docker0's 172.17.0.1, the LAN address). Docker's `--internal`
networks only stop traffic from being routed *through* the host, not traffic *to* it.

The rules, in the filter table (iptables, whichever backend Docker uses too):

* `INPUT` jumps to `ACADEMY-SANDBOX-IN` for packets from the sandbox range (and from any
  `acsb*` bridge): the host's own packets (on `lo`) and replies to connections the host opened
  pass, everything else is dropped, so no sandbox reaches a port of the host on any address.
* `DOCKER-USER` (Docker evaluates it before its own rules; `FORWARD` when Docker does not manage
  iptables) jumps to `ACADEMY-SANDBOX` for packets from or to the sandbox range: frames bridged
  inside one sandbox network pass (its hosts and probes talk to each other), anything routed out
  of it is dropped (other sandboxes, other containers, the host's networks). With
  `ACADEMY_SANDBOX_ALLOW_OUTBOUND` the chain instead drops private, link-local and shared address
  space and lets the rest (the internet) through.

Installing is idempotent: the two chains are rebuilt only when their rules differ, and each jump
is inserted at the top only when missing. The supervisor verifies them every 30 s (reinstalling
what is missing), sandboxes are created only while they are in place, and `academy sandboxes
firewall [--check]` installs or checks them by hand. Sandbox containers have IPv6 switched off by
the engine (their networks have no IPv6), so only IPv4 needs rules.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field

from flask import Flask

from app.config import Settings
from app.sandboxes.engine import engine_url
from app.sandboxes.subnets import BRIDGE_PREFIX

log = logging.getLogger("academy.sandboxes")

FORWARD_CHAIN = "ACADEMY-SANDBOX"
INPUT_CHAIN = "ACADEMY-SANDBOX-IN"
VERIFY_SECONDS = 30.0
# Never reachable from a sandbox even when outbound connections are allowed.
PRIVATE = (
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
)
SETTING_OFF = (
    "switched off (ACADEMY_SANDBOX_FIREWALL=false): the platform does not fence sandbox "
    "networks off this host; make sure your own firewall does"
)


@dataclass(frozen=True)
class Plan:
    """The rules for one sandbox range."""

    space: str
    allow_outbound: bool

    def chains(self) -> dict[str, list[str]]:
        """Return each chain of ours with its rules, as `iptables -S` prints them."""
        bridges = f"{BRIDGE_PREFIX}+"
        forward = [f"-A {FORWARD_CHAIN} -m physdev --physdev-is-bridged -j RETURN"]
        if self.allow_outbound:
            forward.append(
                f"-A {FORWARD_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN"
            )
            forward += [f"-A {FORWARD_CHAIN} -d {net} -j DROP" for net in PRIVATE]
            forward += [
                f"-A {FORWARD_CHAIN} -d {self.space} -j DROP",
                f"-A {FORWARD_CHAIN} -o {bridges} -j DROP",
                f"-A {FORWARD_CHAIN} -s {self.space} -j RETURN",
            ]
        forward.append(f"-A {FORWARD_CHAIN} -j DROP")
        return {
            INPUT_CHAIN: [
                # The host talking to itself on a gateway address (never a sandbox: lo).
                f"-A {INPUT_CHAIN} -i lo -j RETURN",
                f"-A {INPUT_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
                f"-A {INPUT_CHAIN} -j DROP",
            ],
            FORWARD_CHAIN: forward,
        }

    def jumps(self, forward_parent: str) -> list[tuple[str, str]]:
        """Return the (chain, rule) jumps into our chains, in the order they must be tried."""
        return [
            ("INPUT", f"-s {self.space} -j {INPUT_CHAIN}"),
            ("INPUT", f"-i {BRIDGE_PREFIX}+ -j {INPUT_CHAIN}"),
            (forward_parent, f"-s {self.space} -j {FORWARD_CHAIN}"),
            (forward_parent, f"-d {self.space} -j {FORWARD_CHAIN}"),
        ]


@dataclass(frozen=True)
class FirewallState:
    """Whether the rules are in place, and if not why; the rules as installed."""

    active: bool
    reason: str
    rules: tuple[str, ...] = ()
    checked_at: float = field(default_factory=time.time)


class FirewallError(RuntimeError):
    """iptables could not be run or refused a rule."""


class Iptables:
    """Runs the iptables command (waiting for the lock Docker also takes)."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or shutil.which("iptables") or ""

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        if not self.binary:
            raise FirewallError("the iptables command is not installed on this machine")
        done = subprocess.run(
            [self.binary, "-w", "10", *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        if check and done.returncode != 0:
            raise FirewallError(
                f"iptables {' '.join(args)} failed: {(done.stderr or done.stdout).strip()}"
            )
        return done

    def chain_exists(self, chain: str) -> bool:
        return self("-S", chain, check=False).returncode == 0

    def rules(self, chain: str) -> list[str]:
        return [
            line
            for line in self("-S", chain).stdout.splitlines()
            if line.startswith(f"-A {chain} ")
        ]

    def has(self, chain: str, rule: str) -> bool:
        return self("-C", chain, *rule.split(), check=False).returncode == 0


class Firewall:
    """Installs and verifies the rules of one plan; the verdict is kept for VERIFY_SECONDS."""

    def __init__(
        self, plan: Plan, *, required: bool, local: bool, iptables: Iptables | None = None
    ) -> None:
        self.plan = plan
        self.required = required
        self.local = local
        self.iptables = iptables or Iptables()
        self._lock = threading.Lock()
        self._state: FirewallState | None = None

    # -- what callers ask -------------------------------------------------------------------

    def state(self, *, max_age: float = VERIFY_SECONDS) -> FirewallState:
        """Return the verdict, verifying (and installing what is missing) when it is stale."""
        with self._lock:
            if self._state is None or time.time() - self._state.checked_at > max_age:
                self._state = self._ensure()
            return self._state

    def problem(self) -> str | None:
        """Return why sandboxes must not start (rules required but not in place), else None."""
        if not self.required:
            return None
        state = self.state()
        if state.active:
            return None
        return f"Sandbox host isolation is not in place: {state.reason}"

    def install(self) -> FirewallState:
        """Install (or repair) the rules now and return the verified state."""
        with self._lock:
            self._state = self._ensure()
            return self._state

    def check(self) -> FirewallState:
        """Verify the rules now without changing anything."""
        with self._lock:
            self._state = self._verify()
            return self._state

    # -- the work ---------------------------------------------------------------------------

    def _unmanaged(self) -> str | None:
        if not self.required:
            return SETTING_OFF
        if not self.local:
            return (
                "the Docker engine runs on another machine, whose firewall cannot be managed "
                "from here: run `academy sandboxes firewall` there (as root), then set "
                "ACADEMY_SANDBOX_FIREWALL=false here"
            )
        return None

    def _forward_parent(self) -> str:
        return "DOCKER-USER" if self.iptables.chain_exists("DOCKER-USER") else "FORWARD"

    def _verify(self) -> FirewallState:
        unmanaged = self._unmanaged()
        if unmanaged:
            return FirewallState(False, unmanaged)
        try:
            missing = self._missing()
            rules = self._listing()
        except (FirewallError, OSError, subprocess.SubprocessError) as error:
            return FirewallState(False, _why(error))
        if missing:
            return FirewallState(False, "missing: " + "; ".join(missing), rules)
        return FirewallState(True, f"active for {self.plan.space}", rules)

    def _missing(self) -> list[str]:
        missing = []
        for chain, rules in self.plan.chains().items():
            if not self.iptables.chain_exists(chain):
                missing.append(f"chain {chain}")
            elif self.iptables.rules(chain) != rules:
                missing.append(f"the rules of {chain}")
        for chain, rule in self.plan.jumps(self._forward_parent()):
            if not self.iptables.has(chain, rule):
                missing.append(f"{chain} {rule}")
        return missing

    def _listing(self) -> tuple[str, ...]:
        lines: list[str] = []
        parent = self._forward_parent()
        for chain, rule in self.plan.jumps(parent):
            lines.append(f"-A {chain} {rule}")
        for chain in self.plan.chains():
            if self.iptables.chain_exists(chain):
                lines += self.iptables.rules(chain)
        return tuple(lines)

    def _ensure(self) -> FirewallState:
        state = self._verify()
        if state.active or self._unmanaged():
            return state
        try:
            self._install()
        except (FirewallError, OSError, subprocess.SubprocessError) as error:
            log.error("installing the sandbox firewall failed: %s", error)
            return FirewallState(False, _why(error))
        after = self._verify()
        if after.active:
            log.warning("sandbox firewall installed (%s was %s)", self.plan.space, state.reason)
        return after

    def _install(self) -> None:
        for chain, rules in self.plan.chains().items():
            if not self.iptables.chain_exists(chain):
                self.iptables("-N", chain)
            if self.iptables.rules(chain) != rules:
                # Rebuilt in place: the jumps into the chain stay, so for a moment it is empty
                # (accepting less strictly), never missing.
                self.iptables("-F", chain)
                for rule in rules:
                    self.iptables(*rule.split())
        # Inserted at the top, last one first, so they end up in the planned order.
        for chain, rule in reversed(self.plan.jumps(self._forward_parent())):
            if not self.iptables.has(chain, rule):
                self.iptables("-I", chain, "1", *rule.split())


def _why(error: BaseException) -> str:
    text = str(error)
    if "Permission denied" in text or "you must be root" in text:
        return "iptables needs root (run the worker as root, or set ACADEMY_SANDBOX_FIREWALL=false)"
    return text


# -- the platform's firewall --------------------------------------------------------------------

_firewalls: dict[tuple[str, bool, bool, bool], Firewall] = {}
_firewalls_lock = threading.Lock()


def firewall_for(settings: Settings) -> Firewall:
    """Return the firewall of these settings (one per range and mode in a process)."""
    local = engine_url(settings).startswith("unix://")
    key = (
        settings.sandbox_subnets,
        settings.sandbox_allow_outbound,
        settings.sandbox_firewall,
        local,
    )
    with _firewalls_lock:
        if key not in _firewalls:
            plan = Plan(settings.sandbox_subnets, settings.sandbox_allow_outbound)
            _firewalls[key] = Firewall(plan, required=settings.sandbox_firewall, local=local)
        return _firewalls[key]


def verify_periodically(app: Flask) -> None:
    """Install the rules when the supervisor starts, then verify (and repair) them every 30 s."""
    firewall_for(app.config["ACADEMY"]).state()


def install_at_start(app: Flask) -> None:
    """Install (or repair) the rules now: the supervisor does this before anything else."""
    firewall = firewall_for(app.config["ACADEMY"])
    state = firewall.install()
    if state.active:
        log.info("sandbox firewall %s", state.reason)
    elif firewall.required:
        log.error("sandbox firewall not active, no sandbox will start: %s", state.reason)
    else:
        log.warning("sandbox firewall %s", state.reason)
