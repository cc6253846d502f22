"""Resolve a blueprint fabric for one pool: NIC, link rate, rails, HCA names, with catalog defaults.

Defaults: EFA takes everything from the instance type (NIC ``efa-v<generation>``, one rail per
EFA interface, link = network_gbps / EFA interfaces). InfiniBand/RoCE take the NIC from the
blueprint, else the pool's DPU, else ``connectx-7``; the link rate from the NIC; one rail per
GPU (at least one); HCAs ``mlx5_0 … mlx5_<rails-1>`` unless the blueprint lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiinfra_iac.blueprint.models import Dpu, Fabric, RoceSpec
from aiinfra_iac.catalog.types import Catalog, InstanceType
from aiinfra_iac.plan.model import FabricPlan

DEFAULT_HCA_NIC = "connectx-7"


@dataclass(frozen=True)
class FabricError(Exception):
    """A fabric fact cannot be resolved; ``field`` is relative to the fabric entry."""

    field: str
    message: str


def efa_nic(instance: InstanceType) -> str:
    return f"efa-v{instance.efa_generation}" if instance.efa_generation else "efa"


def resolve_fabric(
    fabric: Fabric,
    catalog: Catalog,
    instance: InstanceType | None,
    gpu_count: int,
    dpu: Dpu | None,
    system_hcas: tuple[str, ...] = (),
) -> FabricPlan:
    """The fabric as one pool sees it. HCA names: the fabric's list, else the pool's DGX system's
    compute ports (catalog), else mlx5_0… guessed (check AI143 warns)."""
    if fabric.type == "efa":
        return _efa(fabric, instance)
    nic = fabric.nic or (dpu.model if dpu is not None else DEFAULT_HCA_NIC)
    facts = catalog.nics.get(nic)
    if facts is None:
        raise FabricError("nic", f"unknown NIC '{nic}' (known: {', '.join(sorted(catalog.nics))})")
    if fabric.hcas:
        rails = len(fabric.hcas)
        if fabric.rails_per_node is not None and fabric.rails_per_node != rails:
            raise FabricError(
                "railsPerNode", f"railsPerNode {fabric.rails_per_node} but {rails} hcas are listed"
            )
        hcas = tuple(fabric.hcas)
    elif system_hcas and fabric.rails_per_node in (None, len(system_hcas)):
        rails, hcas = len(system_hcas), system_hcas
    else:
        rails = fabric.rails_per_node or max(gpu_count, 1)
        hcas = tuple(f"mlx5_{index}" for index in range(rails))
    infiniband = fabric.infiniband
    return FabricPlan(
        name=fabric.name,
        type=fabric.type,
        nic=nic,
        link_gbps=fabric.link_gbps or facts.line_rate_gbps,
        rails_per_node=rails,
        gpu_direct_rdma=fabric.gpu_direct_rdma,
        hcas=hcas,
        roce=(fabric.roce or RoceSpec()) if fabric.type == "roce" else None,
        subnet_manager=(infiniband.subnet_manager if infiniband else "switch")
        if fabric.type == "infiniband"
        else None,
        pkey=infiniband.pkey if infiniband and fabric.type == "infiniband" else None,
        sharp=bool(infiniband and infiniband.sharp),
        subnet_manager_hosts=tuple(infiniband.subnet_manager_hosts or ())
        if infiniband and fabric.type == "infiniband"
        else (),
    )


def _efa(fabric: Fabric, instance: InstanceType | None) -> FabricPlan:
    if instance is None or instance.efa_interfaces == 0:
        name = instance.name if instance else "a pool without instanceType"
        raise FabricError("type", f"EFA fabric '{fabric.name}' used by {name}, which has no EFA")
    rails = fabric.rails_per_node or instance.efa_interfaces
    if rails > instance.efa_interfaces:
        raise FabricError(
            "railsPerNode", f"{instance.name} has {instance.efa_interfaces} EFA interfaces, not {rails}"
        )
    return FabricPlan(
        name=fabric.name,
        type="efa",
        nic=fabric.nic or efa_nic(instance),
        link_gbps=fabric.link_gbps or instance.network_gbps // instance.efa_interfaces,
        rails_per_node=rails,
        gpu_direct_rdma=fabric.gpu_direct_rdma and instance.gpudirect_rdma,
        hcas=(),
        roce=None,
    )
