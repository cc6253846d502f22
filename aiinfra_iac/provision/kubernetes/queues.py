"""Kueue objects from ``spec.teams`` (pure data): flavors per GPU pool, a ClusterQueue per team.

Shapes follow Kueue's v1beta1 API (https://kueue.sigs.k8s.io/docs/concepts/cluster_queue/,
https://kueue.sigs.k8s.io/docs/concepts/resource_flavor/, .../local_queue/,
.../workload_priority_class/) and its topology API (``Topology``, served as v1beta1 by 0.14,
https://kueue.sigs.k8s.io/docs/concepts/topology_aware_scheduling/), as served by the pinned
chart (:data:`charts.KUEUE`).

A team's quota is given in GPUs of a pool. Every other resource a pod on that pool requests
(CPU, memory, EFA interfaces, the shared RDMA device) must also be covered by the ClusterQueue,
or Kueue leaves the workload inadmissible; those quotas are the same share of the pool's nodes
("node equivalents": 4 of 8 GPUs = half of each node's CPUs, memory and EFA interfaces).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiinfra_iac.plan.kubernetes import RDMA_SHARED_RESOURCE
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, TeamPlan
from aiinfra_iac.provision.kubernetes.topology import (
    pool_selector,
    topology_levels,
    topology_name,
)
from aiinfra_iac.provision.kubernetes.values import needs_network_operator

KUEUE_API = "kueue.x-k8s.io/v1beta1"
KUEUE_TOPOLOGY_API = "kueue.x-k8s.io/v1beta1"
"""Kueue 0.14 serves Topology only as v1beta1 (its CRD at v0.14.2)."""
GPU_RESOURCE = "nvidia.com/gpu"
EFA_RESOURCE = "vpc.amazonaws.com/efa"
"""Advertised by the EFA device plugin, one per EFA interface (https://docs.aws.amazon.com/eks/latest/userguide/node-efa.html)."""
RDMA_HCA_MAX = 63
"""Pods per node that may share the RDMA device (the NicClusterPolicy's ``rdmaHcaMax``, see values.py)."""
QUEUE_NAME = "default"
"""Each team namespace gets one LocalQueue with this name: jobs set ``kueue.x-k8s.io/queue-name: default``."""


@dataclass(frozen=True)
class KueueObject:
    """One Kueue custom resource: what addons.py creates and what tests assert on."""

    api_version: str
    kind: str
    name: str
    namespace: str | None
    spec: dict[str, Any]
    value: int | None = None
    """WorkloadPriorityClass only: its top-level ``value``."""


def flavor_name(pool: PoolPlan) -> str:
    return pool.name


def per_node_resources(plan: ClusterPlan, pool: PoolPlan) -> dict[str, int]:
    """What one node of the pool offers, by Kubernetes resource name (memory in GiB)."""
    out = {GPU_RESOURCE: pool.gpus_per_node}
    if pool.vcpus:
        out["cpu"] = pool.vcpus
    if pool.memory_gib:
        out["memory"] = pool.memory_gib
    if pool.fabric is not None and pool.fabric.type == "efa":
        efa = sum(1 for i in pool.network_interfaces if i.kind in ("efa", "efa-only"))
        out[EFA_RESOURCE] = efa or pool.fabric.rails_per_node
    elif pool.fabric is not None and needs_network_operator(plan):
        out[f"rdma/{RDMA_SHARED_RESOURCE}"] = RDMA_HCA_MAX
    return out


def _quantity(resource: str, amount: int) -> str | int:
    return f"{amount}Gi" if resource == "memory" else amount


def _share(per_node: dict[str, int], gpus_per_node: int, gpus: int) -> dict[str, int]:
    """``gpus`` GPUs of the pool as node equivalents of every resource (rounded down)."""
    return {resource: amount * gpus // gpus_per_node for resource, amount in per_node.items()}


def resource_flavor(plan: ClusterPlan, pool: PoolPlan) -> KueueObject:
    """A flavor per GPU pool: its node label, tolerations of its taints for admitted pods, its topology."""
    spec: dict[str, Any] = {"nodeLabels": pool_selector(plan, pool)}
    if pool.taints:
        # Kueue adds these tolerations to the pods it admits on this flavor, so jobs need not repeat
        # the pool's taints; nodeTaints is left out on purpose: it would instead require every job to
        # tolerate them before admission.
        spec["tolerations"] = [{"key": t.key, "operator": "Exists", "effect": t.effect} for t in pool.taints]
    if topology_levels(plan) and pool.fabric is not None:
        # Only pools on an RDMA fabric: TAS admits nothing on nodes that lack the level labels.
        spec["topologyName"] = topology_name(plan)
    return KueueObject(KUEUE_API, "ResourceFlavor", flavor_name(pool), None, spec)


def team_pools(plan: ClusterPlan, team: TeamPlan) -> list[tuple[PoolPlan, int, int | None, int | None]]:
    by_name = {p.name: p for p in plan.pools}
    return [
        (by_name[q.pool], q.gpus, q.borrowing_limit, q.lending_limit)
        for q in team.quotas
        if q.pool in by_name and by_name[q.pool].gpus_per_node > 0
    ]


def cluster_queue(plan: ClusterPlan, team: TeamPlan) -> KueueObject:
    """One resource group covering every resource of the team's pools, one flavor per pool.

    Kueue allows a resource in only one group of a ClusterQueue, and every flavor of a group
    lists all covered resources, so a pool without (say) EFA gets an EFA quota of 0.
    """
    pools = team_pools(plan, team)
    covered: list[str] = []
    for pool, *_ in pools:
        covered += [r for r in per_node_resources(plan, pool) if r not in covered]
    flavors = []
    for pool, gpus, borrowing, lending in pools:
        per_node = per_node_resources(plan, pool)
        nominal = _share(per_node, pool.gpus_per_node, gpus)
        borrow = _share(per_node, pool.gpus_per_node, borrowing) if borrowing is not None else None
        lend = _share(per_node, pool.gpus_per_node, lending) if lending is not None else None
        resources = []
        for resource in covered:
            entry: dict[str, Any] = {
                "name": resource,
                "nominalQuota": _quantity(resource, nominal.get(resource, 0)),
            }
            if borrow is not None:
                entry["borrowingLimit"] = _quantity(resource, borrow.get(resource, 0))
            if lend is not None:
                entry["lendingLimit"] = _quantity(
                    resource, min(lend.get(resource, 0), nominal.get(resource, 0))
                )
            resources.append(entry)
        flavors.append({"name": flavor_name(pool), "resources": resources})
    spec: dict[str, Any] = {
        "cohort": team.cohort,
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": team.namespace}},
        "queueingStrategy": "BestEffortFIFO",
        "resourceGroups": [{"coveredResources": covered, "flavors": flavors}],
        # Take lent GPUs back when the owner needs them; inside a team, higher priority first.
        "preemption": {
            "reclaimWithinCohort": "Any",
            "borrowWithinCohort": {"policy": "LowerPriority"},
            "withinClusterQueue": "LowerPriority",
        },
    }
    return KueueObject(KUEUE_API, "ClusterQueue", team.name, None, spec)


def kueue_objects(plan: ClusterPlan) -> list[KueueObject]:
    """Topology, flavors, priority classes, cluster and local queues, in the order they can be created."""
    if not plan.teams:
        return []
    out: list[KueueObject] = []
    levels = topology_levels(plan)
    if levels:
        out.append(
            KueueObject(
                KUEUE_TOPOLOGY_API,
                "Topology",
                topology_name(plan),
                None,
                {"levels": [{"nodeLabel": label} for label in levels]},
            )
        )
    used = {q.pool for team in plan.teams for q in team.quotas}
    out += [resource_flavor(plan, p) for p in plan.pools if p.name in used and p.gpus_per_node > 0]
    for team in plan.teams:
        out.append(KueueObject(KUEUE_API, "WorkloadPriorityClass", team.name, None, {}, value=team.priority))
    out += [cluster_queue(plan, team) for team in plan.teams]
    out += [
        KueueObject(KUEUE_API, "LocalQueue", QUEUE_NAME, team.namespace, {"clusterQueue": team.name})
        for team in plan.teams
    ]
    return out
