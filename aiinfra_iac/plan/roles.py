"""Which Ansible roles apply to a pool, derived once when the plan is resolved.

configure reads ``PoolPlan.roles``; it never recomputes them (tests/lifecycle/test_plan_facts.py).
"""

from __future__ import annotations

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan

ROLE_ORDER: tuple[str, ...] = (
    "host_tuning",
    "nvidia_driver",
    "rdma_infiniband",
    "roce",
    "efa",
    "bluefield_dpu",
    "nccl",
    "storage_client",
    "slurm",
    "validation_tools",
    "observability",
)
"""Every role the configure stage knows; drivers before fabrics, fabrics before NCCL and tools."""

MOUNTED_STORAGE_TYPES = frozenset({"fsx-lustre", "nfs", "local-nvme"})
"""Storage types a node mounts; s3 buckets are reached over HTTPS and need no client role."""


NOT_CONFIGURED = {
    "kubernetes": "an existing Kubernetes cluster: the GPU and Network Operators configure its nodes",
    "local": "the local sandbox uses this machine as it is; configure never retunes the machine it runs on",
}
"""Providers whose nodes the configure stage leaves alone, and why."""


def configures_nodes(plan: ClusterPlan) -> bool:
    """False where Ansible must not touch the nodes (see :data:`NOT_CONFIGURED`).

    ``local`` with ``sandbox: chroot`` is configured: its nodes are chroots under the state dir.
    """
    if plan.provider.type == "local" and plan.provider.sandbox == "chroot":
        return True
    return plan.provider.type not in NOT_CONFIGURED


def derive_pool_roles(plan: ClusterPlan, pool: PoolPlan) -> tuple[str, ...]:
    """The roles applied to ``pool``, in :data:`ROLE_ORDER` (called by resolve only)."""
    if not configures_nodes(plan):
        return ()
    has_gpu = pool.gpu is not None and pool.gpu.count > 0
    fabric_type = pool.fabric.type if pool.fabric else None
    mounted = {s.name for s in plan.storage if s.type in MOUNTED_STORAGE_TYPES}
    wanted = {
        "host_tuning": True,
        "nvidia_driver": has_gpu and plan.tuning.driver.managed_by == "host",
        "rdma_infiniband": fabric_type == "infiniband",
        "roce": fabric_type == "roce",
        "efa": fabric_type == "efa",
        "bluefield_dpu": pool.dpu is not None,
        "nccl": has_gpu,
        "storage_client": any(name in mounted for name in pool.storage),
        "slurm": plan.scheduler.type == "slurm",
        "validation_tools": has_gpu and pool.role == "compute",
        "observability": _observability_applies(plan, has_gpu),
    }
    return tuple(role for role in ROLE_ORDER if wanted[role])


def _observability_applies(plan: ClusterPlan, has_gpu: bool) -> bool:
    obs = plan.observability
    return obs.metrics != "none" or obs.alerts or (has_gpu and obs.gpu_exporter != "none")


def with_roles(plan: ClusterPlan) -> ClusterPlan:
    """``plan`` with every pool's :attr:`PoolPlan.roles` filled in."""
    pools = tuple(p.model_copy(update={"roles": derive_pool_roles(plan, p)}) for p in plan.pools)
    return plan.model_copy(update={"pools": pools})
