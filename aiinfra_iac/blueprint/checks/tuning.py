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
