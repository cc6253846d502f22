"""The untainted EKS system node group as a plan pool, priced like the blueprint's pools.

GPU pools carry ``nvidia.com/gpu:NoSchedule`` so only GPU jobs land there; CoreDNS, the
operators' controllers, Kueue, Prometheus and Loki then need nodes without that taint. Where
every blueprint pool of an EKS cluster is tainted, a small untainted group
(``kubernetes.systemNodes`` x ``systemInstanceType``) runs them, as the EKS and HyperPod
reference architectures do (https://docs.aws.amazon.com/eks/latest/best-practices/aiml-compute.html).
Provision creates it (:mod:`aiinfra_iac.provision.aws.system_pool`); ``aiinfra plan`` counts its
hourly price in the review and the summary, since AWS bills it like any other node.
"""

from __future__ import annotations

from aiinfra_iac.blueprint.models import Capacity, KubernetesScheduler
from aiinfra_iac.catalog.store import load_catalog
from aiinfra_iac.catalog.types import Catalog
from aiinfra_iac.plan.cost import pool_cost
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan

SYSTEM_POOL = "aiinfra-system"


def system_pool(plan: ClusterPlan, catalog: Catalog | None = None) -> PoolPlan | None:
    """The untainted system node group of an EKS cluster on aws, or None (another provider or
    scheduler, an untainted pool exists, or ``systemNodes`` is 0). ``catalog``: the one the blueprint
    was checked against (its ``spec.catalog`` may add the system instance type); default the built-in."""
    if plan.provider.type != "aws" or plan.scheduler.type != "kubernetes":
        return None
    settings = plan.scheduler.kubernetes or KubernetesScheduler()
    if settings.system_nodes == 0 or any(not pool.taints for pool in plan.pools):
        return None
    count = settings.system_nodes
    instance = (catalog or load_catalog()).instance_types.get(settings.system_instance_type)
    cost = pool_cost("aws", instance, Capacity())
    return PoolPlan(
        name=SYSTEM_POOL,
        role="compute",
        count=count,
        hosts=tuple(f"{SYSTEM_POOL}-{i}" for i in range(count)),
        instance_type=settings.system_instance_type,
        image_id=None,
        gpu=None,
        vcpus=instance.vcpus if instance else None,
        memory_gib=instance.memory_gib if instance else None,
        numa_nodes=1,
        gpu_numa=(),
        capacity=Capacity(),
        fabric=None,
        rails=(),
        dpu=None,
        storage=(),
        nccl_env={},
        labels={"aiinfra.dev/role": "system"},
        taints=(),
        hourly_usd_per_node=cost.usd_per_node,
        cost_note=cost.note,
    )
