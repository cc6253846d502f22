"""Which Ansible roles apply to a pool, derived once when the plan is resolved.

configure reads ``PoolPlan.roles``; it never recomputes them (tests/lifecycle/test_plan_facts.py).
"""

from __future__ import annotations

from typing import Literal

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


GpuDirect = Literal["dmabuf", "peermem", "none"]


def derive_gpudirect(plan: ClusterPlan, pool: PoolPlan) -> GpuDirect:
    """How the pool's GPUs reach its fabric's NICs directly (GPUDirect RDMA), chosen once here.

    NVIDIA recommends DMA-BUF over the legacy nvidia-peermem module; DMA-BUF needs the open GPU kernel
    modules (its kernel symbols are GPL-only) and Linux >= 5.12 (RDMA dma-buf memory registration;
    Ubuntu 22.04 ships 5.15, Debian 12 6.1). nvidia-peermem only loads where MLNX_OFED/DOCA-OFED's ib_core
    exports the peer-memory symbols; on the inbox RDMA stack its init fails with -EINVAL, so it is never
    picked automatically: a blueprint that runs DOCA-OFED asks for it with ``tuning.driver.gpuDirect``.
    https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/gpu-operator-rdma.html
    https://docs.nvidia.com/cuda/gpudirect-rdma/index.html#using-nvidia-peermem
    """
    if pool.gpu is None or pool.gpu.count == 0 or pool.fabric is None or not pool.fabric.gpu_direct_rdma:
        return "none"
    driver = plan.tuning.driver
    if driver.gpu_direct != "auto":
        return driver.gpu_direct
    return "dmabuf" if driver.open else "none"


def with_roles(plan: ClusterPlan) -> ClusterPlan:
    """``plan`` with every pool's derived facts (:attr:`PoolPlan.roles`, :attr:`PoolPlan.gpudirect`)."""
    pools = tuple(
        p.model_copy(update={"roles": derive_pool_roles(plan, p), "gpudirect": derive_gpudirect(plan, p)})
        for p in plan.pools
    )
    return plan.model_copy(update={"pools": pools})
