"""Sandbox networks from an address range the platform controls, in small subnets.

Left to itself the engine gives every network a /16 or /20 from its default pools, and about the
31st sandbox then fails with "could not find an available, non-overlapping IPv4 address pool".
Each sandbox network here instead gets a small subnet (a /28 holds six hosts with their probes)
from `ACADEMY_SANDBOX_SUBNETS` (default 10.213.0.0/16: 4,096 networks), with an explicit IPAM
configuration. The subnet is the first one that no network on the engine overlaps (whoever made
it); two workers that pick the same one race on the engine, which refuses the second ("Pool
overlaps with other one on this address space"), and the loser tries a random free one instead.
Each network's bridge is named `acsb<id>` so the firewall can also match it by interface.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network

import docker
from docker.types import IPAMConfig, IPAMPool

log = logging.getLogger("academy.sandboxes")

# Every sandbox host has a probe beside it, so a network holds 2 addresses per host, plus the
# network, broadcast and gateway addresses. The smallest subnet handed out is a /28.
SMALLEST_PREFIX = 28
BRIDGE_PREFIX = "acsb"
ATTEMPTS = 8
_secure = random.SystemRandom()


class NoFreeSubnet(RuntimeError):
    """Every subnet of the range is taken (or the engine kept refusing the ones tried)."""


def prefix_for(hosts: int) -> int:
    """Return the prefix length of the smallest subnet that holds hosts and their probes."""
    needed = 2 * max(1, hosts) + 3
    prefix = 32 - (needed - 1).bit_length()
    return min(SMALLEST_PREFIX, prefix)


def bridge_name(sandbox_id: str) -> str:
    """Return the Linux bridge name of a sandbox network (at most 15 characters)."""
    return f"{BRIDGE_PREFIX}{sandbox_id[:11]}"


def engine_subnets(api: docker.APIClient) -> list[IPv4Network]:
    """Return the IPv4 subnets of every network on the engine (any owner)."""
    found = []
    for network in api.networks():
        for config in (network.get("IPAM") or {}).get("Config") or []:
            try:
                subnet = ipaddress.ip_network(config.get("Subnet", ""), strict=False)
            except ValueError:
                continue
            if isinstance(subnet, IPv4Network):
                found.append(subnet)
    return found


def _taken_blocks(space: IPv4Network, used: Iterable[IPv4Network], size: int) -> list[list[int]]:
    """Return merged [first, last] address ranges of the size-aligned blocks that used touch."""
    start, end = int(space.network_address), int(space.broadcast_address)
    spans = []
    for subnet in used:
        first = max(start, int(subnet.network_address))
        last = min(end, int(subnet.broadcast_address))
        if first > last:
            continue
        spans.append((first - (first - start) % size, last - (last - start) % size + size - 1))
    merged: list[list[int]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged


def _gaps(space: IPv4Network, used: Iterable[IPv4Network], size: int) -> list[tuple[int, int]]:
    """Return the free stretches of the space as (first address, number of blocks)."""
    cursor, end = int(space.network_address), int(space.broadcast_address)
    gaps = []
    for first, last in _taken_blocks(space, used, size):
        if first > cursor:
            gaps.append((cursor, (first - cursor) // size))
        cursor = max(cursor, last + 1)
    if cursor <= end:
        gaps.append((cursor, (end - cursor + 1) // size))
    return [gap for gap in gaps if gap[1] > 0]


def free_subnet(
    space: IPv4Network, used: Iterable[IPv4Network], prefix: int, *, pick_random: bool = False
) -> IPv4Network | None:
    """Return the first (or a random) subnet of the space no used network overlaps."""
    size = 2 ** (32 - prefix)
    gaps = _gaps(space, list(used), size)
    if not gaps:
        return None
    if pick_random:
        index = _secure.randrange(sum(count for _, count in gaps))
        for first, count in gaps:
            if index < count:
                return IPv4Network((first + index * size, prefix))
            index -= count
    return IPv4Network((gaps[0][0], prefix))


def subnets_left(space: IPv4Network, used: Iterable[IPv4Network], prefix: int) -> int:
    """Return how many subnets of that size are still free in the space."""
    return sum(count for _, count in _gaps(space, list(used), 2 ** (32 - prefix)))


@dataclass(frozen=True)
class SubnetUse:
    """How much of the range is in use, in subnets of the smallest size."""

    space: str
    prefix: int
    free: int
    total: int


class SandboxNetworks:
    """Create sandbox networks in small subnets of the configured range."""

    def __init__(self, space: str) -> None:
        self.space = IPv4Network(space)
        # The job threads of one process take turns; other processes race on the engine.
        self._lock = threading.Lock()

    def create(
        self,
        api: docker.APIClient,
        name: str,
        *,
        sandbox_id: str,
        hosts: int,
        internal: bool,
        labels: dict[str, str],
    ) -> IPv4Network:
        """Create the network in a free subnet and return the subnet."""
        prefix = prefix_for(hosts)
        refused = ""
        with self._lock:
            for attempt in range(ATTEMPTS):
                subnet = free_subnet(
                    self.space, engine_subnets(api), prefix, pick_random=attempt > 0
                )
                if subnet is None:
                    raise NoFreeSubnet(
                        f"no free /{prefix} subnet is left in ACADEMY_SANDBOX_SUBNETS "
                        f"({self.space}): every one is in use by a network on the engine"
                    )
                gateway = str(subnet.network_address + 1)
                ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=str(subnet), gateway=gateway)])
                try:
                    api.create_network(
                        name,
                        driver="bridge",
                        internal=internal,
                        labels=labels,
                        ipam=ipam,
                        options={"com.docker.network.bridge.name": bridge_name(sandbox_id)},
                        check_duplicate=True,
                    )
                    return subnet
                except docker.errors.APIError as error:
                    refused = str(error.explanation or error)
                    if "overlap" not in refused.lower():
                        raise
                    log.info("subnet %s was taken meanwhile; trying another", subnet)
        raise NoFreeSubnet(f"the engine refused {ATTEMPTS} free-looking subnets: {refused}")

    def usage(self, api: docker.APIClient) -> SubnetUse:
        """Return how many smallest-size subnets of the range are free."""
        free = subnets_left(self.space, engine_subnets(api), SMALLEST_PREFIX)
        total = 2 ** (SMALLEST_PREFIX - self.space.prefixlen)
        return SubnetUse(str(self.space), SMALLEST_PREFIX, free, total)
