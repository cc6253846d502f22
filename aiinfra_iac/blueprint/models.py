"""Pydantic models of the blueprint format (``apiVersion: aiinfra/v1``, ``kind: Cluster``).

Keys are camelCase in YAML (aliases), snake_case in Python. Every model forbids unknown
keys. Shapes, types and ranges live here; checks that need several fields or the hardware
catalog live in :mod:`aiinfra_iac.blueprint.checks` and carry stable IDs.
Docstrings and ``Field(description=…)`` become the descriptions of ``aiinfra schema``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from aiinfra_iac.blueprint import patterns as pat
from aiinfra_iac.blueprint.patterns import (
    CatalogName,
    DevicePath,
    EnvName,
    EnvValue,
    LabelKey,
    LabelValue,
    SlurmName,
)

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
SIZE_PATTERN = r"^[0-9]+(\.[0-9]+)?[KMGT]?$"
HOST_PATTERN = (
    r"^([A-Za-z0-9]([A-Za-z0-9_.-]{0,251}[A-Za-z0-9])?"
    r"|([0-9A-Fa-f]{1,4}|:)(:[0-9A-Fa-f]{0,4}){1,7}(:[0-9]{1,3}(\.[0-9]{1,3}){3})?)$"
)
"""A host name (letters, digits, '-', '_', '.'), an IPv4 or an IPv6 address: it becomes an Ansible
inventory name and the folder ``<results>/<host>/``, so no spaces, slashes or empty names."""


class BlueprintModel(BaseModel):
    """Base of every blueprint section: camelCase keys, unknown keys rejected."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
        str_strip_whitespace=True,
        strict=True,
    )


# --------------------------------------------------------------------------- metadata


class Metadata(BlueprintModel):
    """Who the cluster is and how it is labelled."""

    name: str = Field(pattern=DNS1123_LABEL, max_length=63, description="Cluster name; a DNS-1123 label.")
    team: str | None = Field(default=None, pattern=pat.PRINTABLE, max_length=128, description="Owning team.")
    labels: dict[LabelKey, LabelValue] = Field(
        default_factory=dict, description="Labels copied onto every resource."
    )
    stack: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9_.-]{1,100}$",
        description="Pulumi stack and state folder name; default: the name plus the target "
        "(aws account (or profile) and region, kubernetes context).",
    )


# --------------------------------------------------------------------------- provider

_CIDR = r"^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$"

ProviderType = Literal["aws", "kubernetes", "onprem", "local"]


class Provider(BlueprintModel):
    """Where the cluster runs. Keys of one provider type are errors on another (check AI120)."""

    type: ProviderType = Field(description="aws | kubernetes (existing cluster) | onprem (hosts) | local")
    region: str | None = Field(
        default=None, pattern=pat.PRINTABLE, description="aws: region, e.g. us-east-1."
    )
    availability_zone: str | None = Field(
        default=None, pattern=pat.PRINTABLE, description="aws: the single AZ the pools live in."
    )
    profile: str | None = Field(
        default=None, pattern=pat.AWS_PROFILE, description="aws: named credentials profile."
    )
    account_id: str | None = Field(
        default=None,
        pattern=r"^[0-9]{12}$",
        description="aws: the 12-digit account the cluster lives in. It names the stack "
        "(<name>.<account>.<region>), and preflight, up and down stop when the credentials belong "
        "to another account.",
    )
    kubeconfig: str | None = Field(
        default=None, pattern=pat.USER_PATH, description="kubernetes: path of the kubeconfig file."
    )
    context: str | None = Field(
        default=None, pattern=pat.KUBE_CONTEXT, description="kubernetes: kubeconfig context to use."
    )
    ssh_user: str | None = Field(
        default=None, pattern=pat.UNIX_USER, description="onprem: user Ansible connects as."
    )
    ssh_private_key_file: str | None = Field(
        default=None, pattern=pat.USER_PATH, description="onprem: private key for that user."
    )
    image: Literal["ubuntu-24.04", "ubuntu-22.04", "debian-12"] | None = Field(
        default=None,
        description="local chroot sandbox: distribution image of the nodes (default debian-12).",
    )
    node_access: Literal["ssm", "ssh"] | None = Field(
        default=None,
        description="aws: how configure reaches nodes; ssm (default): Session Manager, no open port; "
        "ssh: a key pair and a bastion host in the public subnet.",
    )
    key_name: str | None = Field(
        default=None, pattern=pat.CATALOG_NAME, description="aws, nodeAccess ssh: an existing EC2 key pair."
    )
    bastion_cidr: str | None = Field(
        default=None,
        pattern=_CIDR,
        description="aws, nodeAccess ssh: the addresses allowed to SSH to the bastion, e.g. 203.0.113.0/24.",
    )
    endpoint_access: Literal["private", "public", "public-and-private"] | None = Field(
        default=None,
        description="aws EKS: API endpoint access. Default private (nodes are reached over SSM or the "
        "bastion, so there is a way in); then run `up` from inside the VPC (a bastion, a VPN, an SSM port "
        "forward). public or public-and-private need endpointPublicCidrs (check AI124); "
        "public-and-private when only the CIDRs are given.",
    )
    endpoint_public_cidrs: list[Annotated[str, Field(pattern=_CIDR)]] | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        description="aws EKS: the addresses allowed to reach a public API endpoint, e.g. [203.0.113.7/32] "
        "(this machine, so `up` can install the add-ons); with endpointAccess public the NAT gateway's "
        "address is added so the nodes can join.",
    )
    flow_logs: bool = Field(
        default=False,
        description="aws: VPC flow logs (all traffic, every interface) to a CloudWatch Logs group kept "
        "flowLogRetentionDays days; off by default (CloudWatch bills per GB ingested).",
    )
    flow_log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 180, 365] = Field(
        default=30, description="aws, flowLogs: days CloudWatch keeps the flow log records."
    )
    sandbox: Literal["none", "chroot"] = Field(
        default="none",
        description="local only: chroot = each node is a Debian chroot under the state dir, converged for "
        "real by the configure stage; needs root and debootstrap.",
    )
    sandbox_subnet: str | None = Field(
        default=None,
        pattern=r"^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$",
        description="local chroot sandbox: IPv4 subnet of the sandbox bridge, e.g. 10.234.7.0/24 (default: "
        "a free /24 in 10.234.0.0/16); an error when another interface already uses it.",
    )


# --------------------------------------------------------------------------- node pools

GpuModelName = str  # canonical IDs and aliases are checked against the catalog (AI104)


class GpuSpec(BlueprintModel):
    """The GPUs of one node."""

    model: GpuModelName = Field(
        pattern=pat.CATALOG_NAME, description="Canonical GPU model, e.g. H100-SXM (vendor aliases accepted)."
    )
    count: int = Field(ge=1, le=72, description="GPUs per node.")


CapacityType = Literal["on-demand", "spot", "capacity-block", "reserved"]


class Capacity(BlueprintModel):
    """How the pool's capacity is bought (aws)."""

    type: CapacityType = Field(default="on-demand")
    reservation_id: str | None = Field(
        default=None,
        pattern=r"^cr-[0-9a-f]{8,17}$",
        description="EC2 capacity reservation / capacity block ID (cr-…); required for capacity-block.",
    )
    placement_group: str | None = Field(
        default=None,
        pattern=pat.CATALOG_NAME,
        description="aws: an existing placement group to launch into (e.g. the one a targeted reservation "
        "lives in); with a reservationId no new group is created unless this names one.",
    )
    start: datetime | None = Field(
        default=None,
        strict=False,
        description="capacity-block: the block's start time (ISO 8601, UTC); the node group scales up then. "
        "`aiinfra preflight` prints it from the reservation.",
    )
    end: datetime | None = Field(
        default=None,
        strict=False,
        description="capacity-block: the block's end time; the node group scales in before it.",
    )


class Taint(BlueprintModel):
    """A Kubernetes taint put on the pool's nodes."""

    key: LabelKey
    value: LabelValue | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] = "NoSchedule"


PoolRole = Literal["compute", "controller", "login"]


class NodePool(BlueprintModel):
    """A group of identical nodes."""

    name: str = Field(pattern=DNS1123_LABEL, description="Pool name; nodes are named <pool>-<n>.")
    role: PoolRole = Field(
        default="compute",
        description="compute: runs jobs; controller: scheduler head (slurmctld); login: users.",
    )
    instance_type: str | None = Field(
        default=None,
        pattern=pat.INSTANCE_TYPE,
        description="aws: EC2 instance type; the catalog supplies GPUs, EFA cards and NUMA.",
    )
    image_id: str | None = Field(
        default=None, pattern=pat.AMI_ID, description="aws: AMI ID; default: the EKS/DLAMI image."
    )
    system: str | None = Field(
        default=None,
        pattern=pat.CATALOG_NAME,
        description="onprem: an NVIDIA DGX system from the catalog (dgx-h100, dgx-h200; `aiinfra catalog "
        "list systems`): the pool takes its GPUs, CPU layout, memory and compute-fabric HCA names.",
    )
    gpu: GpuSpec | None = Field(default=None, description="Needed where there is no instance type.")
    count: int | None = Field(
        default=None, ge=0, le=100_000, description="Number of nodes; onprem: defaults to len(hosts)."
    )
    capacity: Capacity = Field(default_factory=Capacity)
    fabric: str | None = Field(
        default=None, pattern=DNS1123_LABEL, description="Name of an entry in spec.fabrics."
    )
    dpu: str | None = Field(default=None, pattern=DNS1123_LABEL, description="Name of an entry in spec.dpus.")
    storage: list[Annotated[str, Field(pattern=DNS1123_LABEL)]] | None = Field(
        default=None, description="Names of spec.storage entries mounted here; default: all of them."
    )
    hosts: list[Annotated[str, Field(pattern=HOST_PATTERN)]] | None = Field(
        default=None, description="onprem: host names or addresses of the nodes."
    )
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    root_volume_gib: int | None = Field(
        default=None, ge=20, le=16_384, description="aws: root EBS volume (gp3, encrypted); default 200 GiB."
    )

    def node_names(self, provider: str) -> tuple[str, ...]:
        """The pool's node names as the plan gives them: on-prem its hosts, elsewhere ``<pool>-<n>``."""
        if provider == "onprem":
            return tuple(self.hosts or ())
        return tuple(f"{self.name}-{n}" for n in range(1 if self.count is None else self.count))


# --------------------------------------------------------------------------- fabrics

FabricType = Literal["efa", "infiniband", "roce"]


class RoceSpec(BlueprintModel):
    """RoCEv2 lossless-Ethernet settings, applied on the hosts (and expected on the switches)."""

    pfc_priority: int = Field(default=3, ge=0, le=7, description="802.1p priority with PFC enabled.")
    dscp: int = Field(default=26, ge=0, le=63, description="DSCP value of RoCE traffic.")
    ecn: bool = Field(default=True, description="Enable ECN / DCQCN congestion control.")
    mtu: int = Field(default=4200, ge=1280, le=9216, description="Ethernet MTU of the RoCE interfaces.")
    gid_index: int | None = Field(
        default=None,
        ge=0,
        le=255,
        description="GID index of RoCEv2 over IPv4 (NCCL_IB_GID_INDEX); unset: NCCL (>= 2.21) picks it.",
    )
    traffic_class: int = Field(
        default=106, ge=0, le=255, description="IB traffic class (NCCL_IB_TC); DSCP << 2 plus ECN bits."
    )


class InfinibandSpec(BlueprintModel):
    """InfiniBand fabric settings."""

    subnet_manager: Literal["switch", "host", "ufm"] = Field(
        default="switch", description="Where the SM runs; host: opensm on the pool's nodes."
    )
    pkey: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{1,4}$", description="Partition key.")
    sharp: bool = Field(default=False, description="Use SHARP in-network reductions (NCCL CollNet).")
    subnet_manager_hosts: list[Annotated[str, Field(pattern=HOST_PATTERN)]] | None = Field(
        default=None,
        min_length=1,
        max_length=2,
        description="subnetManager host: the node that runs opensm as master, then an optional standby "
        "(one SM per fabric); default: the first two nodes of the first pool on the fabric.",
    )


class TopologyGroup(BlueprintModel):
    """One leaf switch (tree) or one block (block) and the nodes cabled to it."""

    name: str = Field(pattern=pat.SLURM_NAME, description="Switch or block name, e.g. leaf01.")
    hosts: list[Annotated[str, Field(pattern=HOST_PATTERN)]] = Field(
        min_length=1, description="The nodes under it: on-prem host names, elsewhere <pool>-<n>."
    )


class FabricTopology(BlueprintModel):
    """Where nodes sit on the fabric, for the scheduler's placement (Slurm topology.conf).

    tree: leaf switches joined by one spine (topology/tree); block: blocks of nodes with a fast
    interconnect (topology/block, Slurm 23.11 or later). Give the groups by name, or a groupSize
    that cuts the fabric's nodes, in pool and host order, into groups of that many.
    """

    type: Literal["tree", "block"] = Field(
        default="tree",
        description="tree: leaf switches under a spine; block: topology/block (Slurm >= 23.11).",
    )
    group_size: int | None = Field(
        default=None, ge=1, le=100_000, description="Nodes per leaf switch (tree) or per block (block)."
    )
    groups: list[TopologyGroup] | None = Field(
        default=None, description="Explicit leaf switches or blocks with their nodes."
    )


class Fabric(BlueprintModel):
    """The GPU-to-GPU network between nodes."""

    name: str = Field(pattern=DNS1123_LABEL)
    type: FabricType = Field(description="efa | infiniband | roce")
    nic: str | None = Field(
        default=None,
        pattern=pat.CATALOG_NAME,
        description="NIC/HCA model from the catalog, e.g. connectx-7; default from instance/fabric.",
    )
    link_gbps: int | None = Field(
        default=None, ge=1, le=1600, description="Per-rail line rate; default: catalog."
    )
    rails_per_node: int | None = Field(
        default=None, ge=1, le=32, description="Rails per node; default: catalog."
    )
    gpu_direct_rdma: bool = Field(default=True, description="GPUDirect RDMA (nvidia-peermem / dmabuf).")
    hcas: list[CatalogName] | None = Field(
        default=None, description="Explicit HCA device names, e.g. [mlx5_0, mlx5_1]."
    )
    roce: RoceSpec | None = Field(default=None, description="roce only: QoS settings.")
    infiniband: InfinibandSpec | None = Field(default=None, description="infiniband only.")
    topology: FabricTopology | None = Field(
        default=None,
        description="Leaf switches or blocks of the nodes (Slurm topology.conf); default: one leaf "
        "switch per pool under one spine.",
    )


# --------------------------------------------------------------------------- DPUs


class Dpu(BlueprintModel):
    """A BlueField DPU model used by pools."""

    name: str = Field(pattern=DNS1123_LABEL)
    model: Literal["bluefield-2", "bluefield-3"]
    mode: Literal["dpu", "nic"] = Field(
        default="nic", description="dpu: Arm cores own the NIC; nic: NIC mode."
    )


# --------------------------------------------------------------------------- storage

StorageType = Literal["fsx-lustre", "s3", "nfs", "local-nvme"]
FsxDeploymentType = Literal["SCRATCH_1", "SCRATCH_2", "PERSISTENT_1", "PERSISTENT_2"]


def persistent_by_default(storage_type: object, deployment_type: object) -> bool:
    """``retain`` when the blueprint does not say: true only for persistent data — S3 buckets and
    PERSISTENT_* FSx for Lustre (provision's default deployment type is PERSISTENT_2); SCRATCH
    file systems keep billing while they exist and hold no durable data, nfs/local-nvme are not
    created by provisioning."""
    if storage_type == "s3":
        return True
    if storage_type == "fsx-lustre":
        return not str(deployment_type or "PERSISTENT_2").startswith("SCRATCH")
    return False


class Storage(BlueprintModel):
    """A file system or bucket. ``retain`` (default: true for S3 and persistent FSx) keeps it on ``down``."""

    name: str = Field(pattern=DNS1123_LABEL)
    type: StorageType
    mount_path: str | None = Field(
        default=None, pattern=pat.ABS_PATH, description="Absolute mount point on the nodes."
    )
    retain: bool = Field(
        default=False,
        description="Keep the data on `down`; default true for s3 and PERSISTENT_* fsx-lustre, "
        "false for SCRATCH_* fsx-lustre, nfs and local-nvme.",
    )
    capacity_gi_b: int | None = Field(
        default=None, alias="capacityGiB", ge=1, description="fsx-lustre: capacity in GiB."
    )
    deployment_type: FsxDeploymentType | None = Field(default=None, description="fsx-lustre deployment type.")
    throughput_per_ti_b: int | None = Field(
        default=None, alias="throughputPerTiB", description="fsx-lustre PERSISTENT: MB/s per TiB."
    )
    efa: bool = Field(default=False, description="fsx-lustre: EFA-enabled file system.")
    bucket: str | None = Field(
        default=None, pattern=pat.S3_BUCKET, description="s3: bucket name; default <cluster>-<name>."
    )
    versioning: bool = Field(default=True, description="s3: keep object versions.")
    data_repository: str | None = Field(
        default=None,
        pattern=pat.DATA_REPOSITORY,
        description="fsx-lustre: the S3 data repository linked to the file system: the name of an s3 storage "
        "entry of this blueprint or s3://bucket[/prefix]. Objects appear as files (metadata loaded at "
        "creation, new/changed/deleted objects imported) and files written are exported back: a data "
        "repository association on Lustre 2.15, import/export paths on SCRATCH_1.",
    )
    server: str | None = Field(default=None, pattern=HOST_PATTERN, description="nfs: server host.")
    export: str | None = Field(default=None, pattern=pat.ABS_PATH, description="nfs: exported path.")
    mount_options: str | None = Field(
        default=None, pattern=pat.MOUNT_OPTIONS, description="Mount options, e.g. nfsvers=4.1."
    )
    devices: list[DevicePath] | None = Field(
        default=None, description="local-nvme: devices; default all NVMe namespaces."
    )
    raid_level: Literal[0, 1, 10] | None = Field(
        default=None, description="local-nvme: md RAID level (0 default)."
    )
    filesystem: Literal["xfs", "ext4"] = Field(default="xfs", description="local-nvme: file system.")

    @model_validator(mode="before")
    @classmethod
    def _default_retain(cls, data: object) -> object:
        if isinstance(data, dict) and "retain" not in data:
            kind, deployment = data.get("type"), data.get("deploymentType", data.get("deployment_type"))
            return {**data, "retain": persistent_by_default(kind, deployment)}
        return data


# --------------------------------------------------------------------------- scheduler & platform


class KubernetesScheduler(BlueprintModel):
    """Kubernetes settings."""

    version: str = Field(default="1.35", pattern=r"^1\.[0-9]{2}$")
    queueing: Literal["kueue", "none"] = Field(default="kueue")
    gpu_operator: bool = Field(default=True, description="Install the NVIDIA GPU Operator.")
    network_operator: bool | None = Field(
        default=None, description="Install the NVIDIA Network Operator; default: when a pool uses IB/RoCE."
    )
    system_nodes: int = Field(
        default=2,
        ge=0,
        le=100,
        description="aws EKS: size of the untainted system node group for CoreDNS and the add-ons; "
        "0: none (then some pool must be untainted, check AI163).",
    )
    system_instance_type: str = Field(
        default="m6i.xlarge", pattern=pat.INSTANCE_TYPE, description="aws EKS: system node instance type."
    )


class SlurmScheduler(BlueprintModel):
    """Slurm settings."""

    version: str | None = Field(
        default=None, pattern=pat.VERSION, description="Slurm version; default: the distribution's."
    )
    pyxis: bool = Field(default=False, description="Install Pyxis + enroot for container jobs.")
    partitions: dict[SlurmName, list[Annotated[str, Field(pattern=DNS1123_LABEL)]]] | None = Field(
        default=None, description="Partition name -> pool names; default: one partition per compute pool."
    )


class RayScheduler(BlueprintModel):
    """Ray settings."""

    version: str | None = Field(default=None, pattern=pat.VERSION)


class Scheduler(BlueprintModel):
    """The workload scheduler."""

    # "ray" stays in the type so older blueprints load, then AI169 refuses it with what to use instead
    type: Literal["kubernetes", "slurm", "none", "ray"]
    kubernetes: KubernetesScheduler | None = None
    slurm: SlurmScheduler | None = None
    ray: RayScheduler | None = None


class Platform(BlueprintModel):
    """Platform services on top of the scheduler; all optional."""

    experiment_tracking: Literal["mlflow"] | None = None
    vector_store: Literal["milvus"] | None = None
    feature_store: Literal["feast"] | None = None
    ray: bool = Field(default=False, description="kubernetes: install KubeRay (RayCluster/RayJob operator).")
    training_operator: Literal["kubeflow-trainer"] | None = Field(
        default=None,
        description="kubernetes: Kubeflow Trainer (TrainJob on JobSet) for distributed training.",
    )
    batch_scheduler: Literal["volcano"] | None = Field(
        default=None, description="kubernetes: an extra gang scheduler (Volcano) next to Kueue."
    )
    artifact_storage: str | None = Field(
        default=None, description="Name of the spec.storage s3 entry MLflow/Milvus keep artifacts in."
    )


# --------------------------------------------------------------------------- teams


class TeamQuota(BlueprintModel):
    """A team's share of one GPU pool (Kueue nominal quota; Slurm GRES limit)."""

    pool: str = Field(description="Name of a spec.nodePools entry.")
    gpus: int = Field(ge=0, le=1_000_000, description="Guaranteed GPUs in that pool.")
    borrowing_limit: int | None = Field(
        default=None,
        ge=0,
        description="GPUs it may borrow from its cohort above its quota; default: any.",
    )
    lending_limit: int | None = Field(
        default=None, ge=0, description="GPUs of its quota others may borrow; default: all of them."
    )


class Team(BlueprintModel):
    """A team that submits work: its queue (Kubernetes) or account/QOS (Slurm)."""

    name: str = Field(pattern=DNS1123_LABEL, max_length=63)
    namespace: str | None = Field(
        default=None, pattern=DNS1123_LABEL, max_length=63, description="kubernetes: default: the team name."
    )
    quotas: list[TeamQuota] = Field(min_length=1)
    cohort: str | None = Field(
        default=None,
        pattern=DNS1123_LABEL,
        description="Teams in one cohort borrow each other's idle GPUs; default: the cluster name.",
    )
    priority: int = Field(
        default=100,
        ge=0,
        le=1_000_000,
        description="Kueue WorkloadPriorityClass / Slurm QOS priority.",
    )


class Observability(BlueprintModel):
    """Metrics, dashboards, GPU exporter, logs and alerting."""

    metrics: Literal["prometheus", "none"] = "prometheus"
    dashboards: Literal["grafana", "none"] = "grafana"
    gpu_exporter: Literal["dcgm", "none"] = "dcgm"
    logs: Literal["loki", "none"] = "none"
    alerts: bool = Field(
        default=True, description="Alert rules for GPU (XID, ECC, thermals) and fabric faults."
    )


# --------------------------------------------------------------------------- tuning


class DriverTuning(BlueprintModel):
    """NVIDIA driver."""

    branch: str = Field(default="580", pattern=r"^[0-9]{3}$", description="Driver branch, e.g. 580.")
    open: bool = Field(default=True, description="Open kernel modules (required for Blackwell).")
    managed_by: Literal["host", "gpu-operator"] = Field(
        default="host", description="host: Ansible installs it; gpu-operator: the Kubernetes operator does."
    )
    version: str | None = Field(
        default=None,
        pattern=r"^[0-9]{3}\.[0-9]+(\.[0-9]+)?$",
        description="Exact driver version, e.g. 580.95.05: installed and held (Fabric Manager with it), or "
        "what a preinstalled image must carry; default: the branch's newest.",
    )
    install: bool = Field(
        default=True,
        description="false: the image carries the driver, NCCL and EFA (e.g. an AWS Deep Learning AMI); "
        "configure verifies their versions against the blueprint instead of installing them.",
    )
    gpu_direct: Literal["auto", "dmabuf", "peermem", "none"] = Field(
        default="auto",
        description="GPUDirect RDMA path: dmabuf (open kernel modules, Linux >= 5.12), peermem "
        "(nvidia-peermem: only where MLNX_OFED/DOCA-OFED provides the peer-memory symbols) or none; "
        "auto: dmabuf with open kernel modules, else none. Shown per pool by `aiinfra plan`.",
    )

    @model_validator(mode="after")
    def _version_in_branch(self) -> DriverTuning:
        if self.version is not None and self.version.split(".")[0] != self.branch:
            raise ValueError(f"version {self.version} is not on branch {self.branch}")
        return self


class NcclTuning(BlueprintModel):
    """NCCL."""

    env: dict[EnvName, EnvValue] = Field(
        default_factory=dict, description="Overrides of the resolved NCCL_* env (one line each)."
    )
    version: str | None = Field(
        default=None, pattern=pat.VERSION, description="NCCL package version to pin, e.g. 2.27.7."
    )


class HostTuning(BlueprintModel):
    """Host kernel and CPU settings."""

    cpu_governor: Literal["performance", "schedutil", "ondemand", "powersave"] = "performance"
    numa_balancing: bool = False
    iommu_passthrough: bool = Field(
        default=False,
        description="Add iommu=pt plus intel_iommu=on/amd_iommu=on to the kernel arguments (bare metal that "
        "needs the IOMMU, e.g. for VFs); enabling the IOMMU turns on PCIe ACS (see pcieAcs).",
    )
    pcie_acs: Literal["warn", "fail", "disable"] = Field(
        default="warn",
        description="Bare metal: PCIe bridges with ACS enabled break GPU-NIC peer-to-peer (GPUDirect RDMA); "
        "warn lists them, fail fails the converge, disable clears ACSCtl with setpci (NCCL troubleshooting).",
    )
    hugepages_2m: int = Field(default=0, ge=0, alias="hugepages2M", description="2 MiB hugepages to reserve.")
    transparent_hugepages: Literal["always", "madvise", "never"] = "madvise"
    irq_affinity: bool = Field(default=True, description="Pin NIC IRQs to the NIC's NUMA node.")
    reboot: bool = Field(default=False, description="Allow Ansible to reboot nodes for kernel arguments.")


class Tuning(BlueprintModel):
    """Node tuning applied by the configure stage."""

    driver: DriverTuning = Field(default_factory=DriverTuning)
    nccl: NcclTuning = Field(default_factory=NcclTuning)
    host: HostTuning = Field(default_factory=HostTuning)


# --------------------------------------------------------------------------- validation

Auto = Literal["auto"]


class GpuBurnValidation(BlueprintModel):
    enabled: bool = True
    seconds: int = Field(default=300, ge=10, le=86_400)


Collective = Literal["all_reduce", "all_gather", "reduce_scatter", "alltoall", "broadcast", "reduce"]


def _default_collectives() -> list[Collective]:
    return ["all_reduce"]


class NcclValidation(BlueprintModel):
    enabled: bool = True
    collectives: list[Collective] = Field(default_factory=_default_collectives)
    min_bytes: str = Field(default="8", pattern=SIZE_PATTERN)
    max_bytes: str = Field(default="8G", pattern=SIZE_PATTERN)
    min_bus_bw_g_bps: float | Auto = Field(
        default="auto", alias="minBusBwGBps", description="GB/s bus bandwidth; auto: from the catalog."
    )
    multi_node: bool = Field(default=True, description="Also run across all nodes of each pool.")


class RdmaValidation(BlueprintModel):
    enabled: bool = True
    min_gbps: float | Auto = Field(default="auto", description="Gb/s per rail; auto: from the link rate.")


class DcgmValidation(BlueprintModel):
    enabled: bool = True
    level: int = Field(default=3, ge=1, le=4)


class ValidationRules(BlueprintModel):
    fail_below: float = Field(default=0.90, gt=0, le=1)
    warn_below: float = Field(default=0.95, gt=0, le=1)
    outlier_pct: float = Field(default=10, ge=0, le=100)


class Validation(BlueprintModel):
    """The bar the cluster must clear before it is called up."""

    gpu_burn: GpuBurnValidation = Field(default_factory=GpuBurnValidation)
    nccl: NcclValidation = Field(default_factory=NcclValidation)
    rdma: RdmaValidation = Field(default_factory=RdmaValidation)
    dcgm: DcgmValidation = Field(default_factory=DcgmValidation)
    rules: ValidationRules = Field(default_factory=ValidationRules)


# --------------------------------------------------------------------------- the blueprint


class Suppression(BlueprintModel):
    """A warning accepted on purpose: its ID and why (shown by ``check`` and ``plan``)."""

    id: str = Field(pattern=r"^AI1[0-9]{2}$", description="Check ID of a warning, e.g. AI111.")
    reason: str = Field(min_length=3, description="Why the warning does not apply here.")


class ClusterSpec(BlueprintModel):
    """Everything the cluster is made of."""

    provider: Provider
    node_pools: list[NodePool] = Field(min_length=1)
    fabrics: list[Fabric] = Field(default_factory=list)
    dpus: list[Dpu] = Field(default_factory=list)
    storage: list[Storage] = Field(default_factory=list)
    scheduler: Scheduler
    platform: Platform = Field(default_factory=Platform)
    teams: list[Team] = Field(default_factory=list, description="Teams, their GPU quotas and priorities.")
    observability: Observability = Field(default_factory=Observability)
    tuning: Tuning = Field(default_factory=Tuning)
    validation: Validation = Field(default_factory=Validation)
    suppress: list[Suppression] = Field(
        default_factory=list, description="Warnings accepted on purpose, each with a reason."
    )
    catalog: str | None = Field(
        default=None,
        max_length=1024,
        pattern=r"^[^\x00]+\.ya?ml$",
        description=(
            "A user catalog file (relative to the file that names it, inside the repository) adding "
            "instance_types and nics, with the fields and sources of the built-in catalog."
        ),
    )


class Blueprint(BlueprintModel):
    """An aiinfra cluster blueprint."""

    api_version: Literal["aiinfra/v1"]
    kind: Literal["Cluster"]
    metadata: Metadata
    extends: list[str] = Field(
        default_factory=list, description="Base blueprints (relative paths), deep-merged; lists by `name`."
    )
    spec: ClusterSpec
