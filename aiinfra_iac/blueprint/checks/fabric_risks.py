"""Risky fabric settings: legal, but they cost most of the bandwidth the hardware can give (AI14x).

Each warning names the vendor guidance it follows; suppress one with ``spec.suppress`` and a
reason when the choice is deliberate.
"""

from __future__ import annotations

from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, pool_loc, rule
from aiinfra_iac.catalog.hosts import system

# RoCE frames carry at most the IB MTU (256..4096 bytes) plus headers; an Ethernet MTU below
# 4096 caps RoCE at 1024/2048-byte messages and lowers bandwidth. NVIDIA recommends 4200 (or
# 9000) on the RoCE interfaces: https://docs.nvidia.com/networking/display/mlnxofedv24010331/ethernet+interface
ROCE_MIN_MTU = 4096


@rule("AI140", "warning", "GPU pool on an EFA-capable instance type without a fabric")
def efa_capable_without_fabric(ctx: Context) -> Iterator[Finding]:
    # without EFA, NCCL falls back to TCP sockets over ENA: a fraction of the instance's bandwidth
    # (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa.html)
    if ctx.provider != "aws":
        return
    for index, pool in ctx.pools():
        instance = ctx.instance(pool)
        if pool.fabric is not None or instance is None or instance.gpu_model is None:
            continue
        if instance.efa_interfaces > 0 and pool.count != 1:
            yield Finding(
                pool_loc(index, "fabric"),
                f"{instance.name} has {instance.efa_interfaces} EFA interface(s) but pool '{pool.name}' "
                "has no fabric, so NCCL runs over TCP sockets between nodes; add a fabric of type efa, e.g. "
                "fabrics: [{name: efa, type: efa}] and fabric: efa",
            )


@rule("AI141", "warning", "RoCE fabric without ECN")
def roce_without_ecn(ctx: Context) -> Iterator[Finding]:
    # DCQCN (the congestion control of RoCEv2 on ConnectX) needs ECN marking; without it, PFC alone
    # throttles and can spread pause storms (https://docs.nvidia.com/networking/display/winofv55054000/ethernet+network#src-25134589_EthernetNetwork-ExplicitCongestionNotification(ECN))
    for index, fabric in enumerate(ctx.blueprint.spec.fabrics):
        if fabric.type == "roce" and fabric.roce is not None and not fabric.roce.ecn:
            yield Finding(
                ("spec", "fabrics", index, "roce", "ecn"),
                "ecn: false disables DCQCN congestion control; RoCE then relies on PFC pauses alone, "
                "which spread congestion across the fabric; set ecn: true",
            )


@rule("AI142", "warning", "RoCE MTU below 4096")
def roce_mtu(ctx: Context) -> Iterator[Finding]:
    for index, fabric in enumerate(ctx.blueprint.spec.fabrics):
        if fabric.type == "roce" and fabric.roce is not None and fabric.roce.mtu < ROCE_MIN_MTU:
            yield Finding(
                ("spec", "fabrics", index, "roce", "mtu"),
                f"mtu {fabric.roce.mtu} limits RoCE to an IB MTU of 1024/2048 bytes and costs bandwidth; "
                "set mtu: 4200 (or 9000) on the RoCE interfaces and the switch ports",
            )


def _system_hcas(name: str | None) -> tuple[str, ...]:
    found = system(name) if name else None
    return found.compute_hcas if found else ()


@rule("AI143", "warning", "InfiniBand fabric on hosts without an HCA list")
def ib_without_hcas(ctx: Context) -> Iterator[Finding]:
    # On hosts the roles pick mlx5_0..mlx5_<rails-1>; a storage or management HCA among them puts a
    # rail on the wrong port. (Kubernetes: the Network Operator discovers the devices.)
    if ctx.provider not in ("onprem", "local"):
        return
    for index, fabric in enumerate(ctx.blueprint.spec.fabrics):
        pools = [pool for _, pool in ctx.pools_on(fabric.name)]
        # a DGX system names its compute HCAs (catalog): nothing is guessed on its pools
        named = bool(pools) and all(_system_hcas(pool.system) for pool in pools)
        if fabric.type == "infiniband" and fabric.hcas is None and not named:
            rails = fabric.rails_per_node or 8
            names = ", ".join(f"mlx5_{n}" for n in range(rails))
            yield Finding(
                ("spec", "fabrics", index, "type"),
                f"InfiniBand fabric '{fabric.name}' has no hcas list, so the HCA names are guessed "
                f"(mlx5_0…mlx5_{rails - 1}); list the GPU-rail HCAs (`ibdev2netdev` shows them), "
                f"e.g. hcas: [{names}]",
            )
