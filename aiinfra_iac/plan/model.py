"""``ClusterPlan``: the resolved cluster every later stage reads.

``resolve(blueprint)`` (:mod:`aiinfra_iac.plan.resolve`) joins the blueprint with the
catalog once; provision/, configure/ and validate/ read only this object and never look
facts up again. All sizes and rates carry their unit in the field name.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aiinfra_iac.blueprint.models import (
    Capacity,
    Dpu,
    Observability,
    Platform,
    Provider,
    RoceSpec,
    Scheduler,
    Storage,
    Taint,
    TeamQuota,
    Tuning,
    ValidationRules,
)


class PlanModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GpuPlan(PlanModel):
    """The GPUs of one node of a pool, with their catalog facts."""

    model: str
    """Canonical GPU ID (aliases already normalised)."""
    count: int
    memory_gib: int
    nvlink_gbps: float
    nvswitch: bool
    architecture: str
    compute_capability: str = ""
    """CUDA compute capability from the catalog, e.g. ``9.0`` (https://developer.nvidia.com/cuda-gpus)."""


class Rail(PlanModel):
    """One rail: a NIC (or EFA card) and the GPUs and NUMA node it serves."""

    index: int
    device: str
    """OS device name: ``mlx5_<n>`` for IB/RoCE HCAs, ``rdmap<…>``-style names are unknown up front for
    EFA, so EFA rails name the network card (``efa<n>``)."""
    network_card_index: int | None
    """aws: EC2 network card index of this rail's EFA interface(s)."""
    gpus: tuple[int, ...]
    numa_node: int
    link_gbps: int


class FabricPlan(PlanModel):
    name: str
    type: Literal["efa", "infiniband", "roce"]
    nic: str
    link_gbps: int
    rails_per_node: int
    gpu_direct_rdma: bool
    hcas: tuple[str, ...]
    roce: RoceSpec | None = None
    subnet_manager: Literal["switch", "host", "ufm"] | None = None
    pkey: str | None = None
    """infiniband: partition key the subnet manager defines (and NCCL_IB_PKEY index selects)."""
    sharp: bool = False
    subnet_manager_hosts: tuple[str, ...] = ()
    """infiniband, subnet manager on hosts: the blueprint's opensm master (and standby); empty: default."""


class NetworkInterfacePlan(PlanModel):
    """aws: one network interface the launch template attaches (the catalog's documented layout)."""

    network_card_index: int
    device_index: int
    kind: Literal["interface", "efa", "efa-only"]
    """interface: ENA only; efa: EFA with ENA; efa-only: EFA without an IP address."""


class PoolPlan(PlanModel):
    """One node pool, fully resolved."""

    name: str
    role: Literal["compute", "controller", "login"]
    count: int
    hosts: tuple[str, ...]
    """Node names: onprem host names, else ``<pool>-<n>`` (n from 0)."""
    instance_type: str | None
    image_id: str | None
    gpu: GpuPlan | None
    vcpus: int | None
    memory_gib: int | None
    numa_nodes: int
    gpu_numa: tuple[int, ...]
    """NUMA node of each GPU by index."""
    capacity: Capacity
    fabric: FabricPlan | None
    rails: tuple[Rail, ...]
    dpu: Dpu | None
    storage: tuple[str, ...]
    """Names of the storage entries mounted on this pool."""
    nccl_env: dict[str, str]
    """The NCCL environment for this pool's fabric, blueprint overrides applied."""
    labels: dict[str, str]
    taints: tuple[Taint, ...]
    hourly_usd_per_node: float | None
    """Estimated; None where unknown (onprem, local)."""
    network_interfaces: tuple[NetworkInterfacePlan, ...] = ()
    """aws: the interfaces to attach (EFA layout for full bandwidth); empty elsewhere."""
    local_nvme_gib: int = 0
    """Instance-store NVMe per node (aws, from the catalog); 0 where none or unknown."""
    cost_note: str = ""
    """How ``hourly_usd_per_node`` was estimated (on-demand list price, spot/capacity-block caveats)."""
    root_volume_gib: int | None = None
    """aws: root EBS volume size from the blueprint; None: the provider's default."""
    roles: tuple[str, ...] = ()
    """The configure roles applied to this pool, in ``roles/site.yml`` order; empty where the
    provider's nodes are not configured (derived once in :mod:`aiinfra_iac.plan.roles`)."""
    gpudirect: Literal["dmabuf", "peermem", "none"] = "none"
    """GPUDirect RDMA path of this pool's GPUs to its fabric (derived once in
    :mod:`aiinfra_iac.plan.roles`): dmabuf, peermem (nvidia-peermem on MLNX/DOCA-OFED) or none."""
    sockets: int | None = None
    """CPU sockets per node from the catalog's host layout; None where unknown."""
    cores_per_socket: int | None = None
    threads_per_core: int | None = None
    """From the catalog (AWS CPU options docs); None where unknown (the role reads the host's facts)."""

    @property
    def gpus_per_node(self) -> int:
        return self.gpu.count if self.gpu else 0


ValidationKind = Literal["gpu_burn", "nccl", "rdma", "dcgm"]


class ValidationCheckPlan(PlanModel):
    """One check the validate stage runs and judges, with its expected value."""

    id: str
    """Stable within a plan: ``<kind>:<pool>[:<detail>]``, e.g. ``nccl:train:all_reduce:node``."""
    kind: ValidationKind
    pool: str
    scope: Literal["node", "pool"]
    """node: run on every node of the pool; pool: one run across all nodes of the pool."""
    expected: float | None
    """Pass bar before failBelow/warnBelow are applied; None where the check is pass/fail only."""
    unit: str
    """GB/s (NCCL bus bandwidth), Gb/s (RDMA), or '' for pass/fail checks."""
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    """Runner parameters: collective, minBytes, maxBytes, seconds, level, device …"""
    source: str = ""
    """Where the expectation comes from: 'catalog: <url>', 'blueprint', 'cpu-fallback'."""


class Summary(PlanModel):
    nodes: int
    gpus: int
    estimated_hourly_usd: float


class TopologyGroupPlan(PlanModel):
    """A leaf switch (tree) or a block (block) and the nodes under it."""

    name: str
    hosts: tuple[str, ...]


class TopologyPlan(PlanModel):
    """Where a fabric's nodes sit, for Slurm's topology plugin (topology.conf)."""

    fabric: str
    type: Literal["tree", "block"]
    groups: tuple[TopologyGroupPlan, ...]
    source: Literal["blueprint", "pools"]
    """blueprint: fabric.topology gave the groups; pools: one leaf switch per pool (the default)."""


class TeamPlan(PlanModel):
    """A team with its defaults filled in: namespace and cohort are always set here."""

    name: str
    namespace: str
    cohort: str
    priority: int
    quotas: tuple[TeamQuota, ...]


class ClusterPlan(PlanModel):
    """The whole cluster, resolved; the single input of provision, configure and validate."""

    name: str
    team: str | None
    labels: dict[str, str]
    stack: str | None = None
    """``metadata.stack``: an explicit Pulumi stack name (see ``deployment.paths.stack_name``)."""
    source_files: tuple[str, ...]
    """The blueprint file and every base it extends, in merge order, then its ``spec.catalog`` file."""
    provider: Provider
    scheduler: Scheduler
    platform: Platform
    observability: Observability
    tuning: Tuning
    pools: tuple[PoolPlan, ...]
    fabrics: tuple[FabricPlan, ...]
    dpus: tuple[Dpu, ...]
    storage: tuple[Storage, ...]
    validation: tuple[ValidationCheckPlan, ...]
    rules: ValidationRules
    summary: Summary
    teams: tuple[TeamPlan, ...] = ()
    topology: tuple[TopologyPlan, ...] = ()
    """Per fabric with nodes: its leaf switches or blocks (see :mod:`aiinfra_iac.plan.topology`)."""
    """Teams and their GPU quotas (Kueue queues on Kubernetes, accounts/QOS on Slurm)."""

    def pool(self, name: str) -> PoolPlan:
        for pool in self.pools:
            if pool.name == name:
                return pool
        raise KeyError(name)
