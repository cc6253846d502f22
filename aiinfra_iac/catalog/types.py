"""Typed records of the hardware catalog.

The facts themselves are data (``catalog/data/*.yaml``), each entry with the public URL it
comes from; :mod:`aiinfra_iac.catalog.store` loads them into these records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

InterfaceKind = Literal["interface", "efa", "efa-only"]
"""EC2 network interface kinds: plain ENA, EFA with ENA, EFA-only (no IP)."""


@dataclass(frozen=True)
class GpuModel:
    id: str
    """Canonical ID, e.g. ``H100-SXM``."""
    aliases: tuple[str, ...]
    """Vendor spellings normalised to ``id``, e.g. ``H100-SXM5-80GB``."""
    architecture: str
    memory_gib: int
    nvlink_gbps: float
    """Total NVLink bandwidth per GPU in GB/s (bidirectional, vendor figure); 0 for PCIe-only parts."""
    nvswitch: bool
    """True where 8-GPU baseboards use NVSwitch (needs nvidia-fabricmanager)."""
    bf16_dense_tflops: float
    fp64_tflops: float
    tdp_watts: int
    sources: tuple[str, ...]
    compute_capability: str = ""
    """CUDA compute capability, e.g. ``9.0`` (https://developer.nvidia.com/cuda-gpus)."""


@dataclass(frozen=True)
class NetworkInterfaceSlot:
    """One network interface of an instance's documented layout."""

    network_card_index: int
    device_index: int
    kind: InterfaceKind


@dataclass(frozen=True)
class InstanceType:
    name: str
    gpu_model: str | None
    """Canonical GPU ID, None for CPU-only types."""
    gpu_count: int
    vcpus: int
    memory_gib: int
    numa_nodes: int
    network_cards: int
    efa_interfaces: int
    """Maximum EFA interfaces; 0 where the type has no EFA."""
    efa_generation: int | None
    network_gbps: int
    """Total network bandwidth in Gb/s."""
    interface_layout: tuple[NetworkInterfaceSlot, ...]
    """The interfaces a launch template attaches to use all EFA bandwidth (AWS guidance)."""
    gpu_numa: tuple[int, ...]
    """NUMA node of each GPU, by GPU index."""
    local_nvme_gib: int
    gpudirect_rdma: bool
    supports_capacity_blocks: bool
    price_usd_hour: float
    """On-demand Linux price in us-east-1 (estimate)."""
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Nic:
    id: str
    """e.g. ``connectx-7``, ``efa-v3``, ``bluefield-3``."""
    kind: Literal["hca", "efa", "dpu"]
    line_rate_gbps: int
    """Highest line rate per port in Gb/s."""
    link_types: tuple[str, ...]
    """Subset of infiniband, ethernet, efa."""
    sources: tuple[str, ...]


@dataclass(frozen=True)
class DpuModel:
    id: str
    nic: str
    """Catalog NIC the DPU's network side corresponds to."""
    arm_cores: int
    memory_gib: int
    line_rate_gbps: int
    sources: tuple[str, ...]


@dataclass(frozen=True)
class NcclVariable:
    name: str
    description: str
    fabrics: tuple[str, ...] = ()
    """Fabrics the variable applies to (empty: all)."""
    source: str = ""


@dataclass(frozen=True)
class NcclExpectation:
    """Expected nccl-tests bus bandwidth (GB/s) at large messages."""

    gpu_model: str
    gpus_per_node: int
    scope: Literal["node", "fabric"]
    """node: single node over NVLink; fabric: across nodes, per link rate in ``link_gbps``."""
    collective: str
    busbw_gbps: float
    link_gbps: int | None = None
    rails: int | None = None
    source: str = ""


@dataclass(frozen=True)
class Catalog:
    """All catalog facts, indexed by ID."""

    gpus: dict[str, GpuModel] = field(default_factory=dict)
    instance_types: dict[str, InstanceType] = field(default_factory=dict)
    nics: dict[str, Nic] = field(default_factory=dict)
    dpus: dict[str, DpuModel] = field(default_factory=dict)
    nccl_variables: dict[str, NcclVariable] = field(default_factory=dict)
    nccl_expectations: tuple[NcclExpectation, ...] = ()
    expectations: Expectations = field(default_factory=lambda: Expectations())


@dataclass(frozen=True)
class FabricEfficiency:
    """Multi-node NCCL bus bandwidth as a fraction of a node's total RDMA bandwidth (rails x link / 8)."""

    fabric: str
    efficiency: float
    source: str = ""


@dataclass(frozen=True)
class Expectations:
    """Derived expectations that are factors, not per-model tables (``expectations.yaml``)."""

    fabric_efficiency: dict[str, FabricEfficiency] = field(default_factory=dict)
    rdma_efficiency: float = 0.92
    """ib_write_bw average as a fraction of the line rate."""
    rdma_source: str = ""
    cpu_gloo_busbw_gbps: float = 0.1
    """Floor of the CPU-fallback gloo all-reduce (provider local / no GPU)."""
    cpu_source: str = ""
