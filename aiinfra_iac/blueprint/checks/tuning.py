"""Tuning checks: NCCL variables, hugepages, NUMA balancing, driver management."""

from __future__ import annotations

from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, rule, suggest

_ENV = ("spec", "tuning", "nccl", "env")
# libfabric variables read by the aws-ofi-nccl plugin on EFA are legitimate NCCL tuning too
_OTHER_PREFIXES = ("FI_",)
_HUGEPAGE_MIB = 2


@rule("AI170", "error", "unknown NCCL variable")
def known_nccl_variables(ctx: Context) -> Iterator[Finding]:
    known = ctx.catalog.nccl_variables
    for name in ctx.blueprint.spec.tuning.nccl.env:
        if name.startswith(_OTHER_PREFIXES) or name in known:
            continue
        if not name.startswith("NCCL_"):
            yield Finding(
                (*_ENV, name),
                f"'{name}' is not an NCCL_* variable; tuning.nccl.env holds NCCL_* (and FI_*) variables "
                "only: set other environment variables in the job or the image",
            )
        else:
            yield Finding((*_ENV, name), f"unknown NCCL variable '{name}'{suggest(name, known)}")


@rule("AI171", "warning", "hugepages reserve most of the node's memory")
def hugepages_size(ctx: Context) -> Iterator[Finding]:
    pages = ctx.blueprint.spec.tuning.host.hugepages_2m
    if pages == 0:
        return
    reserved_gib = pages * _HUGEPAGE_MIB / 1024
    memories = [it.memory_gib for _, pool in ctx.pools() if (it := ctx.instance(pool)) is not None]
    smallest = min(memories) if memories else None
    if smallest is not None and reserved_gib > smallest / 2:
        yield Finding(
            ("spec", "tuning", "host", "hugepages2M"),
            f"{pages} x 2 MiB = {reserved_gib:.0f} GiB is more than half of the smallest node's "
            f"{smallest} GiB; "
            "hugepages are taken away from the page cache and the training processes",
        )


@rule("AI172", "warning", "automatic NUMA balancing enabled")
def numa_balancing(ctx: Context) -> Iterator[Finding]:
    if ctx.blueprint.spec.tuning.host.numa_balancing:
        yield Finding(
            ("spec", "tuning", "host", "numaBalancing"),
            "automatic NUMA balancing migrates pages of pinned GPU/NIC buffers and costs bandwidth; "
            "NVIDIA recommends numaBalancing: false on GPU nodes",
        )


@rule("AI173", "error", "driver managed by the GPU Operator without Kubernetes")
def driver_manager(ctx: Context) -> Iterator[Finding]:
    driver = ctx.blueprint.spec.tuning.driver
    if driver.managed_by == "gpu-operator" and ctx.blueprint.spec.scheduler.type != "kubernetes":
        yield Finding(
            ("spec", "tuning", "driver", "managedBy"),
            f"the GPU Operator runs on Kubernetes, not {ctx.blueprint.spec.scheduler.type}; use "
            "managedBy: host",
        )


# GPUDirect RDMA: DMA-BUF needs the open GPU kernel modules; nvidia-peermem needs the peer-memory
# symbols of MLNX_OFED/DOCA-OFED's ib_core, which the EFA (upstream) RDMA stack never has:
# https://docs.nvidia.com/datacenter/cloud-native/gpu-operator/latest/gpu-operator-rdma.html
_GPU_DIRECT = ("spec", "tuning", "driver", "gpuDirect")


def _gpu_fabric_types(ctx: Context) -> set[str]:
    """Fabric types that GPU pools with GPUDirect RDMA on are attached to."""
    found: set[str] = set()
    for _, pool in ctx.pools():
        fabric = ctx.fabric(pool.fabric)
        if fabric is not None and fabric[1].gpu_direct_rdma and ctx.pool_gpu(pool) is not None:
            found.add(fabric[1].type)
    return found


@rule("AI174", "error", "GPUDirect RDMA path the driver or fabric cannot provide")
def gpudirect_path(ctx: Context) -> Iterator[Finding]:
    driver = ctx.blueprint.spec.tuning.driver
    if driver.gpu_direct == "dmabuf" and not driver.open:
        yield Finding(
            _GPU_DIRECT,
            "gpuDirect: dmabuf needs the open GPU kernel modules (tuning.driver.open: true); the proprietary "
            "modules cannot export GPU memory as dma-buf",
        )
    if driver.gpu_direct == "peermem" and "efa" in _gpu_fabric_types(ctx):
        yield Finding(
            _GPU_DIRECT,
            "gpuDirect: peermem loads nvidia-peermem, which needs MLNX_OFED/DOCA-OFED's ib_core; EFA nodes "
            "run the upstream RDMA stack, where it does not load: use dmabuf (open kernel modules)",
        )


@rule("AI175", "warning", "GPUDirect RDMA off: proprietary kernel modules without DOCA-OFED")
def gpudirect_off(ctx: Context) -> Iterator[Finding]:
    driver = ctx.blueprint.spec.tuning.driver
    if driver.gpu_direct == "auto" and not driver.open and _gpu_fabric_types(ctx):
        yield Finding(
            ("spec", "tuning", "driver", "open"),
            "with the proprietary kernel modules there is no DMA-BUF, and nvidia-peermem is used only where "
            "the nodes run DOCA-OFED (gpuDirect: peermem): GPUDirect RDMA stays off and NCCL copies through "
            "host memory; use open: true",
        )
