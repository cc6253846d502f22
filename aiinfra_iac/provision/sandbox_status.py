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
        "endpoints": _endpoints(plan, net),
        "sandboxDifferences": [],
    }


def _node(net: sandbox_net.SandboxNet | None, host: str) -> sandbox_net.NodeNet | None:
    if net is None:
        return None
    return next((n for n in net.nodes if n.name == host), None)


def where_to_look(plan: ClusterPlan, state: Path, blueprint: str) -> list[str]:
    """What to run and open next, for the end of ``aiinfra up`` on a chroot sandbox."""
    net = sandbox_net.load(plan, state)
    lines = [f"status:     aiinfra status {blueprint}"]
    lines.append(
        f"results:    {state / plan.name / 'results'}/<time>/ (report: aiinfra validate --results DIR)"
    )
    if net is not None and plan.scheduler.type == "slurm":
        from aiinfra_iac.provision.sandbox_daemons import controller, prometheus_url

        lines.append(
            f"prometheus: {prometheus_url(plan, net)} (alerts: /alerts, on the sandbox bridge {net.bridge})"
        )
        first = next((h for p in plan.pools if p.role == "compute" for h in p.hosts), None)
        lines.append(
            f"slurm:      ip netns exec {net.node(controller(plan)).netns} chroot "
            f"{sandbox.node_roots(plan, state)[controller(plan)]} sinfo"
        )
        if first:
            lines.append(
                f"a fault:    aiinfra sandbox fault {blueprint} {first} --rate 50mbit, then aiinfra validate"
            )
    lines.append(f"remove:     aiinfra down {blueprint} --yes")
    return lines


def _endpoints(plan: ClusterPlan, net: sandbox_net.SandboxNet | None) -> dict[str, str]:
    if net is None or plan.scheduler.type != "slurm":
        return {}
    from aiinfra_iac.provision.sandbox_daemons import controller, prometheus_url

    return {
        "prometheus": prometheus_url(plan, net),
        "slurmctld": f"{net.node(controller(plan)).address}:6817",
    }
