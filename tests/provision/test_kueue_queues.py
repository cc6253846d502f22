"""spec.teams → Kueue objects: the p5 EKS blueprint (two teams) rendered through the Pulumi mocks."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from aiinfra_iac.blueprint.models import TeamQuota
from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.plan.model import ClusterPlan, TeamPlan
from aiinfra_iac.provision.kubernetes.queues import cluster_queue, kueue_objects, per_node_resources
from aiinfra_iac.provision.kubernetes.topology import topology_levels
from aiinfra_iac.provision.offline import RenderedResource, render_detailed

from .helpers import NODEGROUP, of_type, one
from .plans import fabric, k8s_ib, pool

P5 = Path(__file__).parents[2] / "blueprints" / "h100-p5-eks-fsx-training.yaml"
CQ = "kubernetes:kueue.x-k8s.io/v1beta1:ClusterQueue"
LQ = "kubernetes:kueue.x-k8s.io/v1beta1:LocalQueue"
RF = "kubernetes:kueue.x-k8s.io/v1beta1:ResourceFlavor"
TOPOLOGY = "kubernetes:kueue.x-k8s.io/v1beta1:Topology"
PRIORITIES = "kubernetes:yaml/v2:ConfigGroup"


@pytest.fixture(scope="module")
def p5_plan() -> ClusterPlan:
    plan, _warnings = plan_from_file(P5)
    return plan


@pytest.fixture(scope="module")
def p5(p5_plan: ClusterPlan) -> list[RenderedResource]:
    return render_detailed(p5_plan)


def _quotas(queue: RenderedResource) -> dict[str, dict[str, object]]:
    (group,) = queue.inputs["spec"]["resourceGroups"]
    (flavor,) = group["flavors"]
    assert flavor["name"] == "train"
    return {r["name"]: r for r in flavor["resources"]}


def test_two_teams_get_cluster_queues_with_their_gpu_quotas(p5: list[RenderedResource]) -> None:
    pretrain = _quotas(one(p5, CQ, "-pretrain"))
    finetune = _quotas(one(p5, CQ, "-finetune"))
    assert pretrain["nvidia.com/gpu"] == {"name": "nvidia.com/gpu", "nominalQuota": 96}
    assert finetune["nvidia.com/gpu"] == {"name": "nvidia.com/gpu", "nominalQuota": 32, "borrowingLimit": 32}
    # p5.48xlarge: 192 vCPUs, 2048 GiB, 32 EFA interfaces per 8 GPUs — 12 and 4 node equivalents
    assert pretrain["cpu"]["nominalQuota"] == 12 * 192 and finetune["cpu"]["nominalQuota"] == 4 * 192
    assert pretrain["memory"]["nominalQuota"] == f"{12 * 2048}Gi"
    assert pretrain["vpc.amazonaws.com/efa"]["nominalQuota"] == 12 * 32


def test_teams_share_one_cohort_and_admit_only_their_namespace(p5: list[RenderedResource]) -> None:
    specs = {q.inputs["metadata"]["name"]: q.inputs["spec"] for q in of_type(p5, CQ)}
    assert {s["cohort"] for s in specs.values()} == {"h100-p5-eks-fsx-training"}
    assert specs["finetune"]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "finetune-jobs"}
    }
    assert specs["pretrain"]["preemption"]["reclaimWithinCohort"] == "Any"


def test_local_queue_in_each_team_namespace(p5: list[RenderedResource]) -> None:
    queues = {
        (q.inputs["metadata"]["namespace"], q.inputs["metadata"]["name"]): q.inputs["spec"]["clusterQueue"]
        for q in of_type(p5, LQ)
    }
    assert queues == {("pretrain", "default"): "pretrain", ("finetune-jobs", "default"): "finetune"}
    namespaces = {r.inputs["metadata"]["name"] for r in of_type(p5, "kubernetes:core/v1:Namespace")}
    assert {"pretrain", "finetune-jobs"} <= namespaces


def test_flavor_selects_the_pool_and_tolerates_its_taint(p5: list[RenderedResource]) -> None:
    flavor = one(p5, RF, "-train").inputs["spec"]
    assert flavor["nodeLabels"] == {"aiinfra.dev/pool": "train"}
    assert flavor["tolerations"] == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert flavor["topologyName"] == "h100-p5-eks-fsx-training"


def test_priority_classes_carry_the_team_priorities(p5: list[RenderedResource]) -> None:
    objs = one(p5, PRIORITIES, "-workload-priorities").inputs["objs"]
    assert {(o["kind"], o["metadata"]["name"], o["value"]) for o in objs} == {
        ("WorkloadPriorityClass", "pretrain", 200),
        ("WorkloadPriorityClass", "finetune", 100),
    }


def test_topology_levels_are_the_eks_network_labels(p5: list[RenderedResource]) -> None:
    levels = [lvl["nodeLabel"] for lvl in one(p5, TOPOLOGY).inputs["spec"]["levels"]]
    assert levels == [
        "topology.k8s.aws/network-node-layer-1",
        "topology.k8s.aws/network-node-layer-2",
        "topology.k8s.aws/network-node-layer-3",
        "kubernetes.io/hostname",
    ]


def test_node_group_labels_name_pool_and_fabric(p5: list[RenderedResource]) -> None:
    labels = one(p5, NODEGROUP, "-train-ng").inputs["labels"]
    assert labels["aiinfra.dev/pool"] == "train" and labels["aiinfra.dev/fabric"] == "efa"
    assert labels["workload"] == "training"  # the blueprint's own labels stay


def test_no_teams_no_kueue_objects() -> None:
    rendered = render_detailed(k8s_ib())
    assert not [r for r in rendered if "kueue.x-k8s.io" in r.type]


def _team(name: str, pool_name: str, gpus: int, **quota: int) -> TeamPlan:
    return TeamPlan(
        name=name,
        namespace=name,
        cohort="c",
        priority=1,
        quotas=(TeamQuota(pool=pool_name, gpus=gpus, **quota),),
    )


def test_infiniband_pool_covers_the_shared_rdma_resource_and_lending_limit() -> None:
    plan = k8s_ib().model_copy(update={"teams": (_team("a", "gpu", 4, lending_limit=16),)})
    (gpu_pool,) = [p for p in plan.pools if p.name == "gpu"] or [plan.pools[0]]
    assert "rdma/rdma_shared_device_a" in per_node_resources(plan, gpu_pool)
    quotas = _quotas_of(cluster_queue(plan, plan.teams[0]).spec, gpu_pool.name)
    assert quotas["nvidia.com/gpu"]["nominalQuota"] == 4
    assert quotas["nvidia.com/gpu"]["lendingLimit"] == 4  # never more than the nominal quota
    assert topology_levels(plan) == ("kubernetes.io/hostname",)


def test_block_label_becomes_a_topology_level_on_existing_clusters() -> None:
    plan = k8s_ib()
    labelled = plan.model_copy(
        update={
            "pools": tuple(p.model_copy(update={"labels": {"aiinfra.dev/block": "su1"}}) for p in plan.pools)
        }
    )
    assert topology_levels(labelled) == ("aiinfra.dev/block", "kubernetes.io/hostname")
    plain = plan.model_copy(update={"pools": (pool("gpu", fabric=None),)})
    assert topology_levels(plain) == ()


def test_two_pools_share_one_resource_group_with_zero_quota_fillers() -> None:
    plan = k8s_ib().model_copy(
        update={
            "pools": (pool("ib", fabric=fabric("infiniband", 8, 400)), pool("plain")),
            "teams": (
                TeamPlan(
                    name="t",
                    namespace="t",
                    cohort="c",
                    priority=1,
                    quotas=(TeamQuota(pool="ib", gpus=8), TeamQuota(pool="plain", gpus=16)),
                ),
            ),
        }
    )
    spec = cluster_queue(plan, plan.teams[0]).spec
    (group,) = spec["resourceGroups"]
    assert "rdma/rdma_shared_device_a" in group["coveredResources"]
    assert _quotas_of(spec, "plain")["rdma/rdma_shared_device_a"]["nominalQuota"] == 0
    assert _quotas_of(spec, "plain")["nvidia.com/gpu"]["nominalQuota"] == 16
    flavors = {o.name: o.spec for o in kueue_objects(plan) if o.kind == "ResourceFlavor"}
    assert set(flavors) == {"ib", "plain"}
    assert "topologyName" in flavors["ib"] and "topologyName" not in flavors["plain"]


def _quotas_of(spec: dict[str, object], flavor: str) -> dict[str, dict[str, object]]:
    (group,) = spec["resourceGroups"]  # type: ignore[misc]
    (found,) = [f for f in group["flavors"] if f["name"] == flavor]
    return {r["name"]: r for r in found["resources"]}


SCHEMAS = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "kueue" / "crd-schemas-v0.14.2.json").read_text()
)


def _unknown_fields(instance: object, schema: dict[str, object], path: str = "") -> list[str]:
    """Keys the structural schema does not declare (the API server would prune them silently)."""
    if isinstance(instance, dict):
        props = schema.get("properties")
        if not isinstance(props, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                return [e for k, v in instance.items() for e in _unknown_fields(v, extra, f"{path}.{k}")]
            return []
        found = [f"{path}.{k}" for k in instance if k not in props]
        return found + [
            e for k, v in instance.items() if k in props for e in _unknown_fields(v, props[k], f"{path}.{k}")
        ]
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        return [
            e for i, v in enumerate(instance) for e in _unknown_fields(v, schema["items"], f"{path}[{i}]")
        ]
    return []


def test_kueue_objects_match_the_pinned_kueue_crds(p5_plan: ClusterPlan) -> None:
    plans = [p5_plan, k8s_ib().model_copy(update={"teams": (_team("a", "gpu", 8, borrowing_limit=8),)})]
    checked = set()
    for plan in plans:
        for obj in kueue_objects(plan):
            version = obj.api_version.split("/")[1]
            schema = SCHEMAS.get(f"{obj.kind}/{version}")
            assert schema is not None, f"Kueue 0.14.2 does not serve {obj.kind} {obj.api_version}"
            manifest: dict[str, object] = {
                "apiVersion": obj.api_version,
                "kind": obj.kind,
                "metadata": {"name": obj.name, **({"namespace": obj.namespace} if obj.namespace else {})},
            }
            if obj.value is not None:
                manifest["value"] = obj.value
            else:
                manifest["spec"] = obj.spec
            jsonschema.Draft7Validator(schema).validate(manifest)
            assert _unknown_fields({k: v for k, v in manifest.items() if k != "metadata"}, schema) == []
            checked.add(obj.kind)
    assert checked == {"Topology", "ResourceFlavor", "WorkloadPriorityClass", "ClusterQueue", "LocalQueue"}


def test_a_misspelt_field_is_caught() -> None:
    schema = SCHEMAS["ClusterQueue/v1beta1"]
    assert _unknown_fields({"spec": {"cohortName": "x"}}, schema) == [".spec.cohortName"]
