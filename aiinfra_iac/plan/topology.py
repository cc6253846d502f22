"""Where each fabric's nodes sit: leaf switches (Slurm topology/tree) or blocks (topology/block).

From ``fabric.topology`` in the blueprint — named groups, or a ``groupSize`` that cuts the fabric's
nodes (pools in blueprint order, hosts in pool order) into consecutive groups — or, without it, one
leaf switch per pool. Slurm places a job on as few switches (or blocks) as it can:
https://slurm.schedmd.com/topology.html, file format https://slurm.schedmd.com/topology.conf.html.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiinfra_iac.blueprint.models import Fabric
from aiinfra_iac.plan.model import PoolPlan, TopologyGroupPlan, TopologyPlan


class TopologyError(Exception):
    """A group names a node the fabric does not have, or a node twice; ``field`` under the fabric."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def fabric_hosts(fabric_name: str, pools: Sequence[PoolPlan]) -> list[str]:
    """The nodes on one fabric: pools in blueprint order, hosts in pool order."""
    return [h for p in pools if p.fabric is not None and p.fabric.name == fabric_name for h in p.hosts]


def _groups_by_size(fabric: Fabric, hosts: list[str], size: int) -> tuple[TopologyGroupPlan, ...]:
    prefix = "block" if fabric.topology is not None and fabric.topology.type == "block" else "leaf"
    chunks = [hosts[start : start + size] for start in range(0, len(hosts), size)]
    width = len(str(len(chunks)))
    return tuple(
        TopologyGroupPlan(name=f"{fabric.name}-{prefix}{index:0{width}d}", hosts=tuple(chunk))
        for index, chunk in enumerate(chunks, start=1)
    )


def _named_groups(fabric: Fabric, hosts: list[str]) -> tuple[TopologyGroupPlan, ...]:
    assert fabric.topology is not None and fabric.topology.groups is not None
    known = set(hosts)
    seen: dict[str, str] = {}
    names: set[str] = set()
    groups = []
    for index, group in enumerate(fabric.topology.groups):
        if group.name in names:
            raise TopologyError(f"topology.groups[{index}].name", f"group '{group.name}' is named twice")
        names.add(group.name)
        for host in group.hosts:
            if host not in known:
                raise TopologyError(
                    f"topology.groups[{index}].hosts",
                    f"'{host}' is not a node of a pool on fabric '{fabric.name}'",
                )
            if host in seen:
                raise TopologyError(
                    f"topology.groups[{index}].hosts", f"'{host}' is already under '{seen[host]}'"
                )
            seen[host] = group.name
        groups.append(TopologyGroupPlan(name=group.name, hosts=tuple(group.hosts)))
    return tuple(groups)


def fabric_topology(fabric: Fabric, pools: Sequence[PoolPlan]) -> TopologyPlan | None:
    """The fabric's groups; None for a fabric without nodes. Raises :class:`TopologyError`."""
    hosts = fabric_hosts(fabric.name, pools)
    if not hosts:
        return None
    spec = fabric.topology
    if spec is None:
        groups = tuple(
            TopologyGroupPlan(name=f"{fabric.name}-{p.name}", hosts=p.hosts)
            for p in pools
            if p.fabric is not None and p.fabric.name == fabric.name and p.hosts
        )
        return TopologyPlan(fabric=fabric.name, type="tree", groups=groups, source="pools")
    if (spec.groups is None) == (spec.group_size is None):
        raise TopologyError("topology", "give either groupSize or groups, not both and not neither")
    if spec.group_size is not None:
        groups = _groups_by_size(fabric, hosts, spec.group_size)
    else:
        groups = _named_groups(fabric, hosts)
    return TopologyPlan(fabric=fabric.name, type=spec.type, groups=groups, source="blueprint")
