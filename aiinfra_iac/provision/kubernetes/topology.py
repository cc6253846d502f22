"""Node labels for placement and the Kueue topology levels built from them (pure data).

* Every node aiinfra creates carries ``aiinfra.dev/pool`` (the pool, also the Kueue flavor's
  selector), ``aiinfra.dev/fabric`` (the fabric it is on) and, where the pool has a cluster
  placement group, ``aiinfra.dev/placement-group``.
* On EKS the network position comes from AWS itself: EKS labels GPU nodes with their EC2
  instance topology, ``topology.k8s.aws/network-node-layer-1..3`` (broadest first),
  https://docs.aws.amazon.com/eks/latest/userguide/ml-workload-topology.html, built from
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/how-ec2-instance-topology-works.html.
* Elsewhere (existing clusters) aiinfra does not invent a network position: the topology has the
  node level only unless the pools' labels carry ``aiinfra.dev/block`` (one leaf/block switch
  group per value, the same grouping as Slurm's topology), which then becomes the level above it.

Kueue's Topology lists levels from the broadest to the node level ``kubernetes.io/hostname``
(https://kueue.sigs.k8s.io/docs/concepts/topology_aware_scheduling/).
"""

from __future__ import annotations

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan

POOL_LABEL = "aiinfra.dev/pool"
FABRIC_LABEL = "aiinfra.dev/fabric"
PLACEMENT_GROUP_LABEL = "aiinfra.dev/placement-group"
BLOCK_LABEL = "aiinfra.dev/block"
HOSTNAME_LABEL = "kubernetes.io/hostname"
AWS_NETWORK_LAYERS = tuple(f"topology.k8s.aws/network-node-layer-{n}" for n in (1, 2, 3))


def topology_name(plan: ClusterPlan) -> str:
    return plan.name


def node_labels(pool: PoolPlan, placement_group: str | None = None) -> dict[str, str]:
    """The labels a pool's nodes get when aiinfra creates them (the blueprint's own labels first)."""
    labels = {**pool.labels, POOL_LABEL: pool.name}
    if pool.fabric is not None:
        labels[FABRIC_LABEL] = pool.fabric.name
    if placement_group:
        labels[PLACEMENT_GROUP_LABEL] = placement_group
    return labels


def creates_nodes(plan: ClusterPlan) -> bool:
    """Whether aiinfra creates the cluster's nodes (EKS node groups) and so sets their labels."""
    return plan.provider.type == "aws"


def pool_selector(plan: ClusterPlan, pool: PoolPlan) -> dict[str, str]:
    """Node labels that pick the pool's nodes (Kueue flavor, alert scoping).

    aiinfra's own ``aiinfra.dev/pool`` where it labels the nodes itself; on an existing cluster the
    pool's blueprint ``labels`` (what the nodes already carry, e.g. ``nvidia.com/gpu.product``), and
    ``aiinfra.dev/pool`` only when the pool names none (the operator then labels the nodes).
    """
    if creates_nodes(plan) or not pool.labels:
        return {POOL_LABEL: pool.name}
    return dict(pool.labels)


def topology_levels(plan: ClusterPlan) -> tuple[str, ...]:
    """Node labels from the broadest network level to the node; empty where no pool has a fabric."""
    if not any(p.fabric is not None and p.gpus_per_node > 0 for p in plan.pools):
        return ()
    if plan.provider.type == "aws":
        return (*AWS_NETWORK_LAYERS, HOSTNAME_LABEL)
    if any(BLOCK_LABEL in p.labels for p in plan.pools):
        return (BLOCK_LABEL, HOSTNAME_LABEL)
    return (HOSTNAME_LABEL,)
