"""The editor-ready JSON Schema (2020-12) of the blueprint format.

Built from the pydantic models, then made fit for editing real files:

* nothing is ``required`` except ``apiVersion``, ``kind`` and the ``name`` of named list
  entries: a base (``blueprints/bases/``) or a team fragment is a partial blueprint, and
  completeness is a property of the merged ``extends:`` chain, which ``aiinfra check``
  enforces (AI005);
* every property has a description and an example (descriptions the models lack come from
  :data:`DESCRIPTIONS`; examples from the default, the enum, :data:`EXAMPLES` or, for a
  section, from its own properties' examples);
* GPU models and NICs carry the catalog's names (enum for GPUs; NIC and instance-type names
  as suggestions, since a user catalog may add more).
"""

from __future__ import annotations

import copy
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://aiinfra-iac.github.io/schema/blueprint/v1.json"
"""The schema's identity (``$id``); ``docs/blueprint.schema.json`` is the same document in the repo."""

DESCRIPTIONS: dict[str, str] = {
    "Capacity.type": "on-demand | spot | capacity-block (needs reservationId) | reserved.",
    "DcgmValidation.enabled": "Run `dcgmi diag` on every GPU node.",
    "DcgmValidation.level": "dcgmi diag run level: 1 quick … 4 longest (3 is about 30 minutes).",
    "Dpu.name": "Name pools use in `dpu:`.",
    "Dpu.model": "BlueField generation.",
    "Fabric.name": "Name pools use in `fabric:`.",
    "GpuBurnValidation.enabled": "Run gpu-burn (or the CPU matmul burn without GPUs).",
    "GpuBurnValidation.seconds": "Burn duration per node in seconds.",
    "HostTuning.cpuGovernor": "cpufreq governor set on every core.",
    "HostTuning.numaBalancing": "Automatic NUMA balancing (kernel.numa_balancing); off for GPU training.",
    "HostTuning.transparentHugepages": "Transparent hugepages mode.",
    "KubernetesScheduler.version": "Kubernetes minor version, e.g. 1.31.",
    "KubernetesScheduler.queueing": "kueue: install Kueue for gang scheduling and quotas; none.",
    "NcclValidation.enabled": "Run nccl-tests (single node and, with multiNode, across each pool).",
    "NcclValidation.collectives": "nccl-tests collectives to run.",
    "NcclValidation.minBytes": "Smallest message size (nccl-tests -b), e.g. 8 or 1M.",
    "NcclValidation.maxBytes": "Largest message size (nccl-tests -e); bandwidth is judged here.",
    "NodePool.capacity": "How the pool's capacity is bought (aws).",
    "NodePool.labels": "Kubernetes node labels / Slurm features of the pool's nodes.",
    "NodePool.taints": "Kubernetes taints of the pool's nodes.",
    "Observability.metrics": "prometheus: exporters (and on Kubernetes the Prometheus stack); none.",
    "Observability.dashboards": "grafana (Kubernetes only, AI167); none.",
    "Observability.gpuExporter": "dcgm: dcgm-exporter on GPU nodes; none.",
    "Observability.logs": "loki (Kubernetes only, AI166); none.",
    "Platform.experimentTracking": "mlflow (Helm chart; Kubernetes only, AI165).",
    "Platform.vectorStore": "milvus (Helm chart; Kubernetes only, AI165).",
    "Platform.featureStore": "feast (Helm chart; Kubernetes only, AI165).",
    "RayScheduler.version": "Ray version to pin.",
    "RdmaValidation.enabled": "Run perftest (ib_write_bw) on every rail.",
    "Scheduler.type": (
        "kubernetes | slurm | none (nodes only: run jobs with torchrun/mpirun over ssh); "
        "ray is refused (AI169): use kubernetes with platform.ray."
    ),
    "Scheduler.kubernetes": "Settings for type kubernetes.",
    "Scheduler.slurm": "Settings for type slurm.",
    "Scheduler.ray": "Settings for type ray (refused by AI169; kept so older blueprints load).",
    "Storage.name": "Name pools use in `storage:`.",
    "Storage.type": "fsx-lustre | s3 | nfs | local-nvme.",
    "Taint.key": "Taint key.",
    "Taint.value": "Taint value.",
    "Taint.effect": "NoSchedule | PreferNoSchedule | NoExecute.",
    "ValidationRules.failBelow": "Fail a check measured below this fraction of the expected value.",
    "ValidationRules.warnBelow": "Warn below this fraction of the expected value.",
    "ValidationRules.outlierPct": "Warn on a node more than this percent under its pool's median.",
    "Blueprint.apiVersion": "Format version: aiinfra/v1.",
    "Blueprint.kind": "Cluster.",
    "Blueprint.metadata": "Who the cluster is and how it is labelled.",
    "Blueprint.spec": "Everything the cluster is made of.",
    "Team.name": "Team name; the Kueue queue and (by default) the namespace.",
    "Validation.gpuBurn": "GPU burn-in (gpu-burn; CPU matmul without GPUs).",
    "Validation.nccl": "nccl-tests bandwidth, judged at the largest message size.",
    "Validation.rdma": "perftest ib_write_bw per rail.",
    "Validation.dcgm": "DCGM diagnostics.",
    "Validation.rules": "How measurements turn into pass / warn / fail.",
}

EXAMPLES: dict[str, Any] = {
    "Metadata.name": "llm-p5",
    "Metadata.team": "research",
    "Metadata.labels": {"cost-center": "ml-42"},
    "Provider.region": "us-east-1",
    "Provider.availabilityZone": "us-east-1a",
    "Provider.profile": "training",
    "Provider.accountId": "123456789012",
    "Provider.kubeconfig": "~/.kube/config",
    "Provider.context": "gpu-cluster",
    "Provider.sshUser": "ansible",
    "Provider.endpointPublicCidrs": ["203.0.113.7/32"],
    "Provider.sshPrivateKeyFile": "~/.ssh/id_ed25519",
    "GpuSpec.count": 8,
    "DriverTuning.version": "580.95.05",
    "Capacity.reservationId": "cr-0abc12345def67890",
    "Taint.key": "nvidia.com/gpu",
    "Taint.value": "present",
    "NodePool.name": "train",
    "NodePool.instanceType": "p5.48xlarge",
    "NodePool.imageId": "ami-0123456789abcdef0",
    "NodePool.count": 16,
    "NodePool.fabric": "rail",
    "NodePool.dpu": "bf3",
    "NodePool.storage": ["scratch"],
    "NodePool.hosts": ["gpu-001", "gpu-002"],
    "NodePool.labels": {"workload": "training"},
    "NodePool.taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}],
    "Fabric.name": "rail",
    "Fabric.linkGbps": 400,
    "Fabric.railsPerNode": 8,
    "Fabric.hcas": ["mlx5_0", "mlx5_1"],
    "FabricTopology.groupSize": 32,
    "FabricTopology.groups": [{"name": "leaf01", "hosts": ["dgx-h100-001", "dgx-h100-002"]}],
    "TopologyGroup.name": "leaf01",
    "InfinibandSpec.subnetManagerHosts": ["dgx-h100-001", "dgx-h100-002"],
    "NodePool.system": "dgx-h100",
    "TopologyGroup.hosts": ["dgx-h100-001", "dgx-h100-002"],
    "InfinibandSpec.pkey": "0x7fff",
    "Dpu.name": "bf3",
    "Storage.name": "scratch",
    "Storage.mountPath": "/fsx",
    "Storage.capacityGiB": 4800,
    "Storage.deploymentType": "PERSISTENT_2",
    "Storage.throughputPerTiB": 500,
    "Storage.bucket": "llm-p5-checkpoints",
    "Storage.dataRepository": "datasets",
    "Storage.server": "nfs.example.internal",
    "Storage.export": "/export/home",
    "Storage.mountOptions": "nfsvers=4.1",
    "Storage.devices": ["/dev/nvme1n1", "/dev/nvme2n1"],
    "Storage.raidLevel": 0,
    "SlurmScheduler.version": "24.11",
    "SlurmScheduler.partitions": {"gpu": ["train"]},
    "KubernetesScheduler.networkOperator": True,
    "RayScheduler.version": "2.40.0",
    "Platform.experimentTracking": "mlflow",
    "Platform.vectorStore": "milvus",
    "Platform.featureStore": "feast",
    "NcclTuning.env": {"NCCL_IB_QPS_PER_CONNECTION": "4"},
    "NcclTuning.version": "2.27.7",
    "NcclValidation.minBusBwGBps": 360,
    "RdmaValidation.minGbps": 380,
    "Suppression.id": "AI111",
    "Suppression.reason": "spot is fine for this preemptible sweep",
    "ClusterSpec.suppress": [{"id": "AI111", "reason": "spot is fine for this preemptible sweep"}],
    "ClusterSpec.fabrics": [{"name": "rail", "type": "efa"}],
    "ClusterSpec.dpus": [{"name": "bf3", "model": "bluefield-3"}],
    "ClusterSpec.storage": [{"name": "scratch", "type": "fsx-lustre", "capacityGiB": 4800}],
    "ClusterSpec.nodePools": [{"name": "train", "instanceType": "p5.48xlarge", "count": 2, "fabric": "rail"}],
    "Blueprint.extends": ["bases/aws-eks.yaml"],
    "NcclValidation.collectives": ["all_reduce", "all_gather"],
    "Provider.type": "aws",
    "Fabric.type": "efa",
    "Fabric.nic": "connectx-7",
    "Storage.type": "fsx-lustre",
    "Scheduler.type": "kubernetes",
    "GpuSpec.model": "H100-SXM",
    "Capacity.start": "2026-12-10T11:30:00Z",
    "Capacity.end": "2026-12-17T11:30:00Z",
    "Capacity.placementGroup": "train-pg",
    "Metadata.stack": "llm-p5-prod",
    "NodePool.rootVolumeGib": 200,
    "Platform.artifactStorage": "artifacts",
    "Provider.bastionCidr": "203.0.113.0/24",
    "Provider.keyName": "ops-key",
    "Provider.sandboxSubnet": "10.234.7.0/24",
    "RoceSpec.gidIndex": 3,
    "Team.name": "research",
    "Team.cohort": "training",
    "Team.namespace": "research",
    "TeamQuota.pool": "train",
    "TeamQuota.gpus": 64,
    "TeamQuota.borrowingLimit": 32,
    "TeamQuota.lendingLimit": 16,
    "ClusterSpec.catalog": "catalog/site.yaml",
}

_NAMED_LISTS = ("NodePool", "Fabric", "Dpu", "Storage")


def _catalog_names() -> tuple[list[str], list[str], list[str]]:
    from aiinfra_iac.catalog import load_catalog

    catalog = load_catalog()
    gpus = sorted(
        {gpu.id for gpu in catalog.gpus.values()} | {a for g in catalog.gpus.values() for a in g.aliases}
    )
    return gpus, sorted(catalog.nics), sorted(catalog.instance_types)


def _target(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any] | None:
    """The definition a property refers to (directly, in an anyOf with null, or as list items)."""
    for option in (prop, *prop.get("anyOf", ()), prop.get("items", {})):
        ref = option.get("$ref") if isinstance(option, dict) else None
        if ref:
            found = defs[ref.rsplit("/", 1)[1]]
            return found if isinstance(found, dict) else None
    return None


def _example(key: str, prop: dict[str, Any], defs: dict[str, Any], depth: int = 0) -> Any:
    if key in EXAMPLES:
        return EXAMPLES[key]
    if prop.get("default") not in (None, [], {}):
        return prop["default"]
    for option in (prop, *prop.get("anyOf", ())):
        if "enum" in option:
            return option["enum"][0]
        if "const" in option:
            return option["const"]
    target = _target(prop, defs)
    if target is not None and depth < 3:
        sub = {
            name: _example(f"{target['title']}.{name}", value, defs, depth + 1)
            for name, value in list(target.get("properties", {}).items())[:2]
        }
        return [sub] if prop.get("type") == "array" else sub
    if prop.get("type") == "boolean":
        return False
    raise MissingAnnotation(f"no example for {key}: add one to EXAMPLES")


class MissingAnnotation(LookupError):
    """A property lacks a description or an example (the tests build the schema with strict=True)."""


def _annotate(schema: dict[str, Any], strict: bool) -> None:
    defs: dict[str, Any] = schema["$defs"]
    for name, definition in [*defs.items(), ("Blueprint", schema)]:
        definition["title"] = name
        if name not in _NAMED_LISTS:
            definition.pop("required", None)
        else:
            definition["required"] = ["name"]
        for key, prop in definition.get("properties", {}).items():
            where = f"{name}.{key}"
            if "description" not in prop:
                target = _target(prop, defs)
                text = DESCRIPTIONS.get(where) or (target or {}).get("description")
                if text:
                    prop["description"] = text
                elif strict:
                    raise MissingAnnotation(f"no description for {where}: add one to DESCRIPTIONS")
            try:
                prop["examples"] = [_example(where, prop, defs)]
            except MissingAnnotation:
                if strict:
                    raise
            prop.pop("title", None)
    schema["required"] = ["apiVersion", "kind"]


def _catalog_enums(schema: dict[str, Any]) -> None:
    gpus, nics, instances = _catalog_names()
    defs = schema["$defs"]
    defs["GpuSpec"]["properties"]["model"]["enum"] = gpus
    # names the built-in catalog knows; a user catalog (spec.catalog) may add more, so suggest only
    nic = defs["Fabric"]["properties"]["nic"]
    nic["anyOf"] = [{"enum": nics}, {"type": "string"}, {"type": "null"}]
    instance = defs["NodePool"]["properties"]["instanceType"]
    instance["anyOf"] = [{"enum": instances}, {"type": "string"}, {"type": "null"}]


def blueprint_schema(strict: bool = False) -> dict[str, Any]:
    """The schema as a dict, keys in the camelCase the YAML uses.

    ``strict`` raises :class:`MissingAnnotation` for a property without a description or an
    example (the tests use it); otherwise such a property is emitted as the models describe it,
    so a new field never breaks ``aiinfra schema`` itself.
    """
    from aiinfra_iac.blueprint.models import Blueprint

    schema = copy.deepcopy(Blueprint.model_json_schema(by_alias=True, mode="validation"))
    _annotate(schema, strict)
    _catalog_enums(schema)
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema}
