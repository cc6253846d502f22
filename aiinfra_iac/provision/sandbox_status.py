"""The state of a chroot sandbox as one JSON-ready dict (``aiinfra status``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox, sandbox_fault, sandbox_net, sandbox_services


def collect(plan: ClusterPlan, state: Path) -> dict[str, Any]:
    net = sandbox_net.load(plan, state)
    roots = sandbox.node_roots(plan, state)
    nodes = []
    for pool in plan.pools:
        for host in pool.hosts:
            node = _node(net, host)
            nodes.append(
                {
                    "name": host,
                    "pool": pool.name,
                    "role": pool.role,
                    "address": node.address if node else None,
                    "netns": node.netns if node else None,
                    "root": sandbox.is_node_root(roots[host]),
                    "link": sandbox_fault.describe(node) if node else "no network",
                }
            )
    services = [
        {"node": s.node, "service": s.service, "pid": s.pid, "state": "running" if s.running else "stopped"}
        for s in sandbox_services.states(plan, state)
    ]
    up = net is not None and all(n["root"] for n in nodes)
    return {
        "cluster": plan.name,
        "state": "up" if up else "down",
        "network": (
            {"bridge": net.bridge, "subnet": net.subnet, "gateway": net.gateway, "mtu": net.mtu}
            if net
            else None
        ),
        "nodes": nodes,
        "services": services,
        "endpoints": {},
        "sandboxDifferences": [],
    }


def _node(net: sandbox_net.SandboxNet | None, host: str) -> sandbox_net.NodeNet | None:
    if net is None:
        return None
    return next((n for n in net.nodes if n.name == host), None)
