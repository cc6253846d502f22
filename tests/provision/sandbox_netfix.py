"""Per-test sandbox networks: a subnet no other running test uses, leftovers of killed runs removed.

Tests run in 3 xdist workers; each worker owns its own 80 /24s of 10.235.0.0/16 (gw0: 0-79, gw1:
80-159, ...) and a test picks one by the hash of its name, so two tests running at once never
share a subnet. A bridge left on that subnet by a killed run of the same test is deleted first.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import subprocess

import pytest

from aiinfra_iac.provision import sandbox_net


def needs_root_network() -> None:
    if os.geteuid() != 0:
        pytest.skip("the sandbox network (namespaces, veth, bridge) needs root")
    if shutil.which("ip") is None or shutil.which("tc") is None:
        pytest.skip("iproute2 (ip, tc) not installed")
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"ip netns does not work here: {probe.stderr.decode().strip()}")


def unique_subnet(request: pytest.FixtureRequest) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker[2:].isdigit() else 0
    slot = int(hashlib.sha256(request.node.nodeid.encode()).hexdigest(), 16) % 80
    third = (index % 3) * 80 + slot
    subnet = ipaddress.IPv4Network(f"10.235.{third}.0/24")
    for name, ifaces in sandbox_net.interface_addresses().items():
        if name.startswith("aib") and any(i.network.overlaps(subnet) for i in ifaces):
            subprocess.run(["ip", "link", "del", name], check=False)
    return str(subnet)
