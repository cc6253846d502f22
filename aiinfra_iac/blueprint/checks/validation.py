"""Validation-threshold checks: thresholds the hardware cannot reach, inconsistent rules.

Physical ceilings (GB/s of nccl-tests bus bandwidth):

* inside a node, bus bandwidth cannot exceed one direction of a GPU's NVLink bandwidth
  (the catalog's ``nvlink_gbps`` is the bidirectional total, so half of it) where all GPUs
  share NVSwitch (or a bridged pair); other GPUs are capped at PCIe 5.0 x16, 64 GB/s per
  direction;
* across N nodes (``multiNode``), a hierarchical all-reduce moves 2(N-1)/N of the data through
  each node's NICs while bus bandwidth counts 2(nk-1)/nk, so bus bandwidth cannot exceed the
  node's aggregate line rate (rails x linkGbps / 8) times N/(N-1), doubled with SHARP
  in-network reduction.
"""

from __future__ import annotations

from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, rule
from aiinfra_iac.blueprint.models import Fabric, NodePool
from aiinfra_iac.units import parse_size

PCIE5_X16_GBPS = 64.0
_VALIDATION = ("spec", "validation")


def rail_rate_gbps(ctx: Context, fabric: Fabric, pool: NodePool) -> tuple[float, int] | None:
    """(per-rail Gb/s, rails per node) of a pool on a fabric, where the blueprint or catalog knows it."""
    instance = ctx.instance(pool)
    link: float | None = fabric.link_gbps
    rails = fabric.rails_per_node
    if instance is not None and instance.efa_interfaces:
        link = link or instance.network_gbps / instance.efa_interfaces
        rails = rails or instance.efa_interfaces
    if link is None and fabric.nic and (nic := ctx.catalog.nics.get(fabric.nic)) is not None:
        link = nic.line_rate_gbps
    if link is None:
        return None
    return link, rails or 1


@rule("AI180", "error", "warnBelow lower than failBelow")
def rules_ordered(ctx: Context) -> Iterator[Finding]:
    rules = ctx.blueprint.spec.validation.rules
    if rules.warn_below < rules.fail_below:
        yield Finding(
            (*_VALIDATION, "rules", "warnBelow"),
            f"warnBelow ({rules.warn_below}) must be at least failBelow ({rules.fail_below}): a result "
            "would fail before it could warn; e.g. failBelow: 0.90, warnBelow: 0.95",
        )


@rule("AI181", "error", "NCCL bandwidth threshold above what the hardware can reach")
def nccl_threshold_reachable(ctx: Context) -> Iterator[Finding]:
    nccl = ctx.blueprint.spec.validation.nccl
    wanted = nccl.min_bus_bw_g_bps
    if wanted == "auto" or not nccl.enabled:
        return
    for _, pool in ctx.pools():
        gpu = ctx.pool_gpu(pool)
        if gpu is None:
            continue
        model, count = gpu
        if model.nvlink_gbps > 0 and (model.nvswitch or count <= 2):
            ceiling = model.nvlink_gbps / 2
            reason = f"{model.id} NVLink {ceiling:g} GB/s per direction"
        else:
            ceiling = PCIE5_X16_GBPS
            reason = f"{count} x {model.id} talk over PCIe 5.0 x16 ({PCIE5_X16_GBPS:g} GB/s)"
        found = ctx.fabric(pool.fabric)
        rate = rail_rate_gbps(ctx, found[1], pool) if found is not None else None
        nodes = pool.count or len(pool.hosts or [])
        if nccl.multi_node and nodes > 1 and found is not None and rate:
            # A hierarchical all-reduce sends 2(N-1)/N of the data over each node's rails while the
            # bus-bandwidth formula counts 2(nk-1)/nk, so busbw can exceed the rails' rate by N/(N-1):
            # published 2 x p5 runs reach 487 GB/s on 400 GB/s of EFA.
            sharp = found[1].infiniband is not None and found[1].infiniband.sharp
            rails_gbytes = rate[0] * rate[1] / 8 * (2 if sharp else 1)
            network = rails_gbytes * nodes / (nodes - 1)
            if network < ceiling:
                ceiling = network
                reason = (
                    f"{rate[1]} x {rate[0]:g} Gb/s rails = {rails_gbytes:g} GB/s per node, "
                    f"x {nodes}/{nodes - 1} across {nodes} nodes"
                )
        if float(wanted) > ceiling:
            yield Finding(
                (*_VALIDATION, "nccl", "minBusBwGBps"),
                f"{wanted:g} GB/s is above what pool '{pool.name}' can physically reach ({reason}); "
                "use minBusBwGBps: auto (catalog expectation) or a value below the ceiling",
            )
            return


@rule("AI182", "error", "RDMA threshold above the link rate")
def rdma_threshold_reachable(ctx: Context) -> Iterator[Finding]:
    rdma = ctx.blueprint.spec.validation.rdma
    if rdma.min_gbps == "auto" or not rdma.enabled:
        return
    for _, pool in ctx.pools():
        found = ctx.fabric(pool.fabric)
        rate = rail_rate_gbps(ctx, found[1], pool) if found is not None else None
        if rate is not None and float(rdma.min_gbps) > rate[0]:
            yield Finding(
                (*_VALIDATION, "rdma", "minGbps"),
                f"{rdma.min_gbps:g} Gb/s per rail is above the {rate[0]:g} Gb/s link rate of pool "
                f"'{pool.name}'; "
                "use minGbps: auto or a lower value",
            )
            return


# nccl-tests allocates a send and a receive buffer of maxBytes per GPU (and more with -c for
# checking); keep the sweep within a quarter of the smallest GPU's memory.
_GPU_MEMORY_SHARE = 4


@rule("AI183", "error", "NCCL message sizes out of order or beyond GPU memory")
def nccl_sizes(ctx: Context) -> Iterator[Finding]:
    nccl = ctx.blueprint.spec.validation.nccl
    if not nccl.enabled:
        return
    smallest, largest = parse_size(nccl.min_bytes), parse_size(nccl.max_bytes)
    if smallest > largest:
        yield Finding(
            (*_VALIDATION, "nccl", "minBytes"),
            f"minBytes ({nccl.min_bytes}) is larger than maxBytes ({nccl.max_bytes}): the sweep is empty",
        )
    memories = [gpu[0].memory_gib for _, pool in ctx.pools() if (gpu := ctx.pool_gpu(pool)) is not None]
    if memories and largest > min(memories) * (1 << 30) // _GPU_MEMORY_SHARE:
        limit_gib = min(memories) // _GPU_MEMORY_SHARE
        yield Finding(
            (*_VALIDATION, "nccl", "maxBytes"),
            f"maxBytes ({nccl.max_bytes}) does not fit a {min(memories)} GiB GPU next to its receive buffer; "
            f"use at most {limit_gib}G (8G or 16G is the usual bandwidth plateau)",
        )
