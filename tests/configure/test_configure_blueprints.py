"""The inventory generated for every blueprint in blueprints/ (load + check + resolve, then configure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from aiinfra_iac.configure.inventory import (
    build_inventory,
    configuration_entries,
    pool_group_name,
    roles_for_pool,
)
from aiinfra_iac.configure.roles import MOUNTED_STORAGE_TYPES
from aiinfra_iac.configure.rolevars import ROLE_VARS, RoleContext
from aiinfra_iac.plan.model import ClusterPlan

REPO = Path(__file__).resolve().parents[2]
BLUEPRINTS = sorted((REPO / "blueprints").glob("*.yaml"))

# The roles each pool of the shipped blueprints gets; a blueprint missing here is still checked for the
# invariants below.
EXPECTED_ROLES: dict[str, dict[str, list[str]]] = {
    "a100-p4d-slurm-training": {
        "head": ["host_tuning", "storage_client", "slurm", "observability"],
        "train": [
            "host_tuning",
            "nvidia_driver",
            "efa",
            "nccl",
            "storage_client",
            "slurm",
            "validation_tools",
            "observability",
        ],
    },
    "existing-k8s-gpu-network-operator": {"h100": []},
    "h100-onprem-ib-slurm": {
        "head": ["host_tuning", "storage_client", "slurm", "observability"],
        "dgx": [
            "host_tuning",
            "nvidia_driver",
            "rdma_infiniband",
            "nccl",
            "storage_client",
            "slurm",
            "validation_tools",
            "observability",
        ],
    },
    "h100-onprem-roce-bluefield3": {
        "head": ["host_tuning", "storage_client", "slurm", "observability"],
        "gpu": [
            "host_tuning",
            "nvidia_driver",
            "roce",
            "bluefield_dpu",
            "nccl",
            "storage_client",
            "slurm",
            "validation_tools",
            "observability",
        ],
    },
    "h100-p5-eks-fsx-training": {
        "train": ["host_tuning", "efa", "nccl", "storage_client", "validation_tools", "observability"],
    },
    "local-host": {"sandbox": []},
    "local-sandbox": {
        "controller": ["host_tuning", "slurm", "observability"],
        "compute": ["host_tuning", "slurm", "observability"],
    },
    "local-chroot-sandbox": {"sandbox": ["host_tuning"]},
}


@pytest.fixture(scope="module", params=BLUEPRINTS, ids=[p.stem for p in BLUEPRINTS])
def plan(request: pytest.FixtureRequest) -> ClusterPlan:
    from aiinfra_iac.plan import plan_from_file

    resolved, _warnings = plan_from_file(request.param)
    return resolved


def test_blueprints_exist() -> None:
    assert len(BLUEPRINTS) >= 6


def test_groups_hosts_and_cluster_vars(plan: ClusterPlan) -> None:
    inventory = build_inventory(plan)
    json.dumps(inventory)
    children = inventory["all"]["children"]
    assert inventory["all"]["vars"]["aiinfra_cluster"] == plan.name
    assert inventory["all"]["vars"]["aiinfra_provider"] == plan.provider.type
    for pool in plan.pools:
        group = children[pool_group_name(pool)]
        assert list(group["hosts"]) == list(pool.hosts) and len(pool.hosts) == pool.count
        assert pool_group_name(pool) in children[pool.role]["children"]
        assert group["vars"]["aiinfra_gpu_count"] == pool.gpus_per_node
        assert group["vars"]["aiinfra_gpu_numa"] == list(pool.gpu_numa)
        assert [r["device"] for r in group["vars"]["aiinfra_rails"]] == [r.device for r in pool.rails]
        if pool.fabric:
            assert pool_group_name(pool) in children[f"fabric_{pool.fabric.type}"]["children"]
        for role in roles_for_pool(plan, pool):
            assert pool_group_name(pool) in children[f"role_{role}"]["children"]
    if plan.provider.type == "onprem" and plan.provider.ssh_user:
        assert inventory["all"]["vars"]["ansible_user"] == plan.provider.ssh_user


def test_roles_per_pool(plan: ClusterPlan) -> None:
    entries = {e["pool"]: e for e in configuration_entries(plan)}
    expected = EXPECTED_ROLES.get(plan.name)
    if expected is not None:
        assert {name: e["roles"] for name, e in entries.items()} == expected
    for pool in plan.pools:
        roles = entries[pool.name]["roles"]
        if plan.provider.type == "kubernetes" or (
            plan.provider.type == "local" and plan.provider.sandbox == "none"
        ):
            assert roles == []
            continue
        assert ("nvidia_driver" in roles) == (
            pool.gpu is not None and plan.tuning.driver.managed_by == "host"
        )
        assert ("nccl" in roles) == (pool.gpu is not None)
        for fabric_type, role in (("efa", "efa"), ("infiniband", "rdma_infiniband"), ("roce", "roce")):
            assert (role in roles) == (pool.fabric is not None and pool.fabric.type == fabric_type)
        assert ("bluefield_dpu" in roles) == (pool.dpu is not None)
        assert ("slurm" in roles) == (plan.scheduler.type == "slurm")
        mounted = {s.name for s in plan.storage if s.type in MOUNTED_STORAGE_TYPES}
        assert ("storage_client" in roles) == bool(mounted & set(pool.storage))


def _options(role: str) -> dict[str, Any]:
    path = REPO / "roles" / role / "meta" / "argument_specs.yml"
    if not path.exists():
        pytest.fail(f"role {role} (applied by a blueprint) has no meta/argument_specs.yml")
    options: dict[str, Any] = YAML(typ="safe").load(path.read_text())["argument_specs"]["main"]["options"]
    return options


def test_role_vars_accepted_by_argument_specs(plan: ClusterPlan) -> None:
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    endpoints = {
        s.name: {"dnsName": f"fs-0123.fsx.{plan.provider.region}.amazonaws.com", "mountName": "abcdefgh"}
        for s in plan.storage
        if s.type == "fsx-lustre"
    }
    for pool in plan.pools:
        for role in roles_for_pool(plan, pool):
            params = ROLE_VARS[role](plan, pool, RoleContext(storage_endpoints=endpoints))
            result = ArgumentSpecValidator(_options(role)).validate(dict(params))
            assert not result.error_messages, f"{pool.name}/{role}: {result.error_messages}"


def test_observability_facts(plan: ClusterPlan) -> None:
    inventory = build_inventory(plan)
    for pool in plan.pools:
        if "observability" not in roles_for_pool(plan, pool):
            continue
        pool_vars = inventory["all"]["children"][pool_group_name(pool)]["vars"]
        assert pool_vars["observability_gpu_count"] == pool.gpus_per_node
        assert pool_vars["observability_fabric_type"] == (pool.fabric.type if pool.fabric else "none")
        assert pool_vars["observability_dcgm_exporter"] == (
            pool.gpus_per_node > 0 and plan.observability.gpu_exporter == "dcgm"
        )
