"""Sandbox networks reach nothing on the host and nothing outside their own network.

A real TCP listener on every address of this machine (0.0.0.0), and a sandbox host that tries
each of them: the gateway of its own network, docker0's address, the LAN address. None answers,
while the two hosts of one sandbox, and the probe beside each, still reach one another.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from app.sandboxes.firewall import FORWARD_CHAIN, INPUT_CHAIN, firewall_for
from app.sandboxes.runtime import DockerRuntime, HostSpec, Limits, network_name
from app.sandboxes.subnets import BRIDGE_PREFIX, SMALLEST_PREFIX
from tests.conftest import login
from tests.sandboxes.conftest import DOMAIN, IMAGE, wait_until

pytestmark = pytest.mark.docker

TWO_HOSTS = [
    HostSpec("prod", IMAGE, "impactlink-prod"),
    HostSpec("staging", IMAGE, "impactlink-staging"),
]


class Listener:
    """A TCP server on 0.0.0.0 that records who connected."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("0.0.0.0", 0))  # noqa: S104 - the point: every address of the host
        self.server.listen(16)
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.peers: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, peer = self.server.accept()
            except OSError:
                continue
            self.peers.append(peer[0])
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.server.close()


def host_addresses() -> list[str]:
    """Return every IPv4 address of this machine except loopback ones."""
    out = subprocess.run(
        ["ip", "-j", "-4", "addr"], capture_output=True, text=True, check=True
    ).stdout
    return [
        info["local"]
        for link in json.loads(out)
        for info in link.get("addr_info", [])
        if not info["local"].startswith("127.")
    ]


@pytest.fixture(scope="module")
def pair(runtime: DockerRuntime, sandbox_app) -> Iterator[str]:
    """A sandbox with two hosts, each with its probe."""
    sandbox_id = uuid.uuid4().hex
    runtime.create(
        sandbox_id, TWO_HOSTS, Limits.from_settings(sandbox_app.config["ACADEMY"]), False
    )
    try:
        assert runtime.wait_ready(sandbox_id, 120), "the two-host sandbox never became ready"
        yield sandbox_id
    finally:
        runtime.destroy(sandbox_id)


@pytest.fixture
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


def _connects(runtime: DockerRuntime, sandbox_id: str, host: str, targets: list[str], port: int):
    """Try every target:port from a host at once; return those that accepted the connection."""
    script = " ".join(
        f"(timeout 3 bash -c 'exec 3<>/dev/tcp/{t}/{port}' 2>/dev/null && echo OPEN {t}) &"
        for t in targets
    )
    result = runtime.exec(sandbox_id, host, ["bash", "-c", f"{script} wait"], timeout=20)
    return [line.split()[1] for line in result.stdout.splitlines() if line.startswith("OPEN ")]


def test_sandbox_networks_get_small_subnets_of_the_platform_range(runtime, pair, sandbox_app):
    network = runtime.api.inspect_network(network_name(pair))
    config = network["IPAM"]["Config"][0]
    subnet = ipaddress.IPv4Network(config["Subnet"])
    space = ipaddress.IPv4Network(sandbox_app.config["ACADEMY"].sandbox_subnets)
    assert subnet.subnet_of(space)
    assert subnet.prefixlen == SMALLEST_PREFIX
    assert config["Gateway"] == str(subnet.network_address + 1)
    assert network["Options"]["com.docker.network.bridge.name"].startswith(BRIDGE_PREFIX)
    assert network["Internal"] is True


def test_a_sandbox_cannot_reach_the_host_on_any_address(runtime, pair, listener):
    gateway = runtime.api.inspect_network(network_name(pair))["IPAM"]["Config"][0]["Gateway"]
    addresses = host_addresses()
    assert gateway in addresses
    assert "172.17.0.1" in addresses, "docker0's address should be among the host's"
    # The listener answers on every address of the host: the host itself can connect.
    for address in (gateway, "172.17.0.1"):
        with socket.create_connection((address, listener.port), timeout=3):
            pass
    wait_until(lambda: len(listener.peers) == 2, 5, "the host's own connections")
    for host in ("prod", "staging"):
        opened = _connects(runtime, pair, host, addresses, listener.port)
        assert opened == [], f"{host} reached the host through {opened}"
    time.sleep(0.5)
    assert len(listener.peers) == 2, f"a sandbox connected: {listener.peers}"


def test_a_sandbox_cannot_reach_another_sandbox(runtime, pair, shared_sandbox):
    info = runtime.api.inspect_container(f"ac-{shared_sandbox}-prod")
    other = next(iter(info["NetworkSettings"]["Networks"].values()))["IPAddress"]
    assert other
    assert _connects(runtime, pair, "prod", [other], 443) == []


def test_hosts_of_one_sandbox_and_their_probes_still_reach_each_other(runtime, pair):
    served = runtime.exec(
        pair,
        "prod",
        [
            "bash",
            "-c",
            f"curl -sk --max-time 5 --resolve {DOMAIN}:443:$(getent hosts staging "
            f"| cut -d' ' -f1) https://{DOMAIN}/api/v1/health",
        ],
        timeout=20,
    )
    assert '"database"' in served.stdout, served.stdout + served.stderr
    assert _connects(runtime, pair, "staging", ["prod"], 443) == ["prod"]
    for host in ("prod", "staging"):
        probe = runtime.probe(
            pair,
            host,
            f"hcurl -sS -o /dev/null -w '%{{http_code}}\\n' https://{DOMAIN}/api/v1/health",
            tamper_scan=False,
        )
        assert probe.exit_code == 0, probe.stderr
        assert probe.stdout.strip().splitlines()[-1] == "200"


def test_sandbox_hosts_have_no_ipv6(runtime, pair):
    disabled = runtime.exec(pair, "prod", ["cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6"])
    assert disabled.stdout.strip() == "1"


def _iptables(*args: str) -> str:
    return subprocess.run(["iptables", "-w", "10", *args], capture_output=True, text=True).stdout


def test_the_rules_are_idempotent_and_repaired_when_missing(sandbox_app):
    firewall = firewall_for(sandbox_app.config["ACADEMY"])
    space = sandbox_app.config["ACADEMY"].sandbox_subnets
    before = firewall.install()
    assert before.active, before.reason
    again = firewall.install()
    assert again.rules == before.rules
    jump = f"-A INPUT -s {space} -j {INPUT_CHAIN}"
    assert _iptables("-S", "INPUT").splitlines().count(jump) == 1
    # Removing one jump (the bridge-name jump still covers INPUT meanwhile) is noticed and fixed.
    subprocess.run(["iptables", "-w", "10", "-D", *jump.split()[1:]], check=True)
    assert not firewall.check().active
    assert "missing" in firewall.check().reason
    repaired = firewall.state(max_age=0)
    assert repaired.active, repaired.reason
    assert _iptables("-S", "INPUT").splitlines().count(jump) == 1
    assert f"-A {FORWARD_CHAIN} -j DROP" in _iptables("-S", FORWARD_CHAIN)


def test_the_admin_page_shows_the_rules_active(sandbox_app, people):
    client = sandbox_app.test_client()
    login(client, people.admin)
    page = client.get("/admin/sandboxes")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Host isolation" in body
    assert "<strong>Active</strong>" in body
    assert f"-j {INPUT_CHAIN}" in body
    assert "networks</strong>" in body
