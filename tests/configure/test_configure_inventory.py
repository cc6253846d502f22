"""The inventory built from a ClusterPlan: groups, host vars, roles per pool, role variables."""

from __future__ import annotations

import json
import re
import time

import pytest
from configure_plans import (
    H100,
    cluster,
    efa_fabric,
    ib_fabric,
    ib_slurm_cluster,
    on_instance,
    pool,
    roce_fabric,
)

from aiinfra_iac.blueprint.models import Storage, Tuning
from aiinfra_iac.configure.inventory import (
    build_inventory,
    configuration_entries,
    host_address_vars,
    role_vars_for_pool,
    roles_for_pool,
)
from aiinfra_iac.configure.rolevars import unmounted_lustre
from aiinfra_iac.plan.roles import with_roles


def test_groups_per_pool_role_fabric_and_role() -> None:
    plan = ib_slurm_cluster()
    children = build_inventory(plan)["all"]["children"]
    assert children["pool_gpu"]["hosts"] == {"gpu-0": None, "gpu-1": None, "gpu-2": None, "gpu-3": None}
    assert children["controller"] == {"children": {"pool_head": {}}}
    assert children["login"] == {"children": {"pool_login": {}}}
    assert children["compute"] == {"children": {"pool_gpu": {}}}
    assert children["fabric_infiniband"] == {"children": {"pool_gpu": {}}}
    assert children["gpu"] == {"children": {"pool_gpu": {}}}
    assert children["role_slurm"] == {"children": {"pool_head": {}, "pool_login": {}, "pool_gpu": {}}}
    assert children["role_nvidia_driver"] == {"children": {"pool_gpu": {}}}
    assert "fabric_efa" not in children and "role_efa" not in children


def test_roles_per_pool() -> None:
    plan = ib_slurm_cluster()
    assert roles_for_pool(plan, plan.pool("head")) == [
        "host_tuning",
        "storage_client",
        "slurm",
        "observability",
    ]
    assert roles_for_pool(plan, plan.pool("gpu")) == [
        "host_tuning",
        "nvidia_driver",
        "rdma_infiniband",
        "bluefield_dpu",
        "nccl",
        "storage_client",
        "slurm",
        "validation_tools",
        "observability",
    ]


def test_roles_follow_fabric_storage_scheduler_and_driver_owner() -> None:
    s3 = Storage(name="ckpt", type="s3")
    plan = cluster(
        (
            pool("efa", 2, gpu=H100, fabric=efa_fabric(), storage=("ckpt",)),
            pool("roce", 2, gpu=H100, fabric=roce_fabric()),
        ),
        provider="aws",
        scheduler="ray",
        storage=(s3,),
    )
    assert roles_for_pool(plan, plan.pool("efa")) == [
        "host_tuning",
        "nvidia_driver",
        "efa",
        "nccl",
        "validation_tools",
        "observability",
    ]
    assert "roce" in roles_for_pool(plan, plan.pool("roce"))
    assert "rdma_infiniband" not in roles_for_pool(plan, plan.pool("roce"))
    operator = with_roles(
        plan.model_copy(update={"tuning": Tuning.model_validate({"driver": {"managedBy": "gpu-operator"}})})
    )
    assert "nvidia_driver" not in roles_for_pool(operator, operator.pool("efa"))
    assert "nccl" in roles_for_pool(operator, operator.pool("efa"))


def test_existing_kubernetes_cluster_gets_no_roles() -> None:
    plan = cluster((pool("gpu", 2, gpu=H100),), provider="kubernetes", scheduler="kubernetes")
    assert roles_for_pool(plan, plan.pool("gpu")) == []
    assert configuration_entries(plan) == [
        {"pool": "gpu", "hosts": ["gpu-0", "gpu-1"], "roles": [], "vars": {}}
    ]


def test_cluster_vars_and_onprem_connection() -> None:
    all_vars = build_inventory(ib_slurm_cluster())["all"]["vars"]
    assert all_vars["aiinfra_cluster"] == "test-cluster"
    assert all_vars["aiinfra_scheduler"] == "slurm"
    assert all_vars["ansible_user"] == "ops"
    assert all_vars["ansible_ssh_private_key_file"] == "/keys/ops"


def test_pool_vars_carry_rails_and_gpu_numa() -> None:
    plan = ib_slurm_cluster()
    gpu_vars = build_inventory(plan)["all"]["children"]["pool_gpu"]["vars"]
    assert gpu_vars["aiinfra_roles"] == roles_for_pool(plan, plan.pool("gpu"))
    assert gpu_vars["aiinfra_gpu_numa"] == [0, 0, 0, 0, 1, 1, 1, 1]
    assert gpu_vars["aiinfra_rails"][5] == {
        "index": 5,
        "device": "mlx5_5",
        "gpus": [5],
        "numa_node": 1,
        "link_gbps": 400,
    }
    assert gpu_vars["observability_fabric_devices"] == [f"mlx5_{i}" for i in range(8)]
    assert gpu_vars["rdma_infiniband_subnet_manager"] == "host"
    assert gpu_vars["nvidia_driver_fabricmanager"] is True
    # The hardware the plan expects: a live converge fails when it is missing (guards in the roles).
    assert gpu_vars["nvidia_driver_expected_gpus"] == 8
    assert gpu_vars["rdma_infiniband_expected_devices"] == [f"mlx5_{i}" for i in range(8)]
    assert gpu_vars["nvidia_driver_hardware_mode"] == gpu_vars["rdma_infiniband_hardware_mode"] == "live"
    # One subnet manager per fabric (master + standby), not opensm on every node of the pool.
    assert gpu_vars["rdma_infiniband_opensm_hosts"] == list(plan.pool("gpu").hosts[:2])


def test_aws_addresses_become_host_vars() -> None:
    plan = cluster((pool("train", 3, gpu=H100, fabric=efa_fabric()),), provider="aws", scheduler="kubernetes")
    hosts = build_inventory(plan, {"train-0": "10.0.0.10", "train-1": "ssh://ec2-user@10.0.0.11:2222"})[
        "all"
    ]["children"]["pool_train"]["hosts"]
    assert hosts == {
        "train-0": {"ansible_host": "10.0.0.10"},
        "train-1": {"ansible_host": "10.0.0.11", "ansible_port": 2222, "ansible_user": "ec2-user"},
        "train-2": None,
    }


def test_address_forms() -> None:
    assert host_address_vars("chroot:/srv/node0") == {
        "ansible_connection": "community.general.chroot",
        "ansible_host": "/srv/node0",
    }
    assert host_address_vars("local") == {"ansible_connection": "local"}
    assert host_address_vars("gpu-001.lab") == {"ansible_host": "gpu-001.lab"}


def test_roce_vars_come_from_the_fabric() -> None:
    plan = cluster((pool("roce", 2, gpu=H100, fabric=roce_fabric()),), scheduler="kubernetes")
    got = role_vars_for_pool(plan, plan.pool("roce"))
    assert {k: v for k, v in got.items() if k.startswith("roce_")} == {
        "roce_pfc_priority": 3,
        "roce_dscp": 26,
        "roce_ecn": True,
        "roce_mtu": 4200,
        "roce_gid_index": 3,
        "roce_traffic_class": 106,
        "roce_devices": [f"mlx5_{i}" for i in range(8)],
        "roce_hardware_mode": "live",
    }


def test_slurm_vars_nodes_partitions_topology() -> None:
    plan = ib_slurm_cluster()
    got = role_vars_for_pool(plan, plan.pool("gpu"))
    assert got["slurm_node_role"] == "compute"
    assert got["slurm_controller_hosts"] == ["head-0"]
    # On-prem: no catalog layout, so the role takes Sockets/Cores/Threads/RealMemory from the facts
    # gathered on the pool's first host (never a bare node line).
    assert got["slurm_nodes"] == [
        {
            "name": "gpu-[0-3]",
            "gpus": 8,
            "gpu_type": "h100",
            "facts_host": "gpu-0",
            "features": ["h100", "infiniband"],
        }
    ]
    assert got["slurm_partitions"] == [{"name": "gpu", "nodes": "gpu-[0-3]", "default": True}]
    assert got["slurm_topology"] == "tree"
    assert got["slurm_topology_switches"] == [
        {"name": "ib-gpu", "nodes": "gpu-[0-3]"},
        {"name": "ib", "switches": "ib-gpu"},
    ]
    assert got["slurm_gpu_type"] == "h100"
    head = role_vars_for_pool(plan, plan.pool("head"))
    assert head["slurm_node_role"] == "controller" and head["slurm_gpu_count"] == 0


def test_storage_mounts_and_lustre_needs_provision_outputs() -> None:
    fsx = Storage.model_validate(
        {
            "name": "scratch",
            "type": "fsx-lustre",
            "mountPath": "/fsx",
            "capacityGiB": 4800,
            "deploymentType": "PERSISTENT_2",
        }
    )
    nvme = Storage.model_validate({"name": "local", "type": "local-nvme", "mountPath": "/scratch"})
    plan = cluster(
        (pool("train", 2, gpu=H100, fabric=efa_fabric(), storage=("scratch", "local")),),
        provider="aws",
        scheduler="kubernetes",
        storage=(fsx, nvme),
    )
    before = role_vars_for_pool(plan, plan.pool("train"))
    assert before["storage_client_lustre_mounts"] == []
    assert before["storage_client_local_nvme"] == [
        {"name": "local", "path": "/scratch", "devices": [], "raid_level": 0, "filesystem": "xfs"}
    ]
    assert unmounted_lustre(plan, {}) == ["scratch"]
    endpoints = {"scratch": {"dnsName": "fs-0abc.fsx.us-east-1.amazonaws.com", "mountName": "abcdefgh"}}
    after = role_vars_for_pool(plan, plan.pool("train"), endpoints)
    assert after["storage_client_lustre_mounts"] == [
        {
            "name": "scratch",
            "dns_name": "fs-0abc.fsx.us-east-1.amazonaws.com",
            "mount_name": "abcdefgh",
            "path": "/fsx",
        }
    ]
    assert unmounted_lustre(plan, endpoints) == []
    # an EFA-enabled file system on an EFA pool: the role sets up LNet over EFA
    efa_plan = plan.model_copy(update={"storage": (fsx.model_copy(update={"efa": True}), nvme)})
    [mount] = role_vars_for_pool(efa_plan, efa_plan.pool("train"), endpoints)["storage_client_lustre_mounts"]
    assert mount["efa"] is True


def test_no_secret_in_inventory() -> None:
    text = json.dumps(build_inventory(ib_slurm_cluster()))
    assert "slurm_munge_key" not in text


def test_configuration_entries_are_json() -> None:
    entries = configuration_entries(ib_slurm_cluster())
    assert [e["pool"] for e in entries] == ["head", "login", "gpu"]
    assert entries[2]["hosts"] == ["gpu-0", "gpu-1", "gpu-2", "gpu-3"]
    assert entries[2]["vars"]["observability_gpu_count"] == 8
    json.dumps(entries)


def test_ten_thousand_hosts_build_quickly() -> None:
    plan = cluster(
        (pool("train", 10_240, gpu=H100, fabric=ib_fabric()), pool("head", 2, role="controller")),
        provider="aws",
        scheduler="slurm",
    )
    addresses = {f"train-{i}": f"10.{i // 65536}.{i // 256 % 256}.{i % 256}" for i in range(10_240)}
    started = time.perf_counter()
    inventory = build_inventory(plan, addresses)
    entries = configuration_entries(plan)
    text = json.dumps(inventory)
    elapsed = time.perf_counter() - started
    assert len(inventory["all"]["children"]["pool_train"]["hosts"]) == 10_240
    head = next(e for e in entries if e["pool"] == "head")
    assert head["vars"]["slurm_nodes"][0]["name"] == "train-[0-10239]"  # type: ignore[index]
    # Cluster-wide lists appear once (controller), not on every pool of the plan document.
    assert "slurm_nodes" not in entries[0]["vars"]  # type: ignore[operator]
    assert inventory["all"]["children"]["pool_train"]["vars"]["slurm_nodes"] == head["vars"]["slurm_nodes"]  # type: ignore[index]
    # A guard against quadratic blow-ups, not a benchmark: tests run three at a time on two cores.
    assert elapsed < 5.0, f"{elapsed:.3f}s for 10,240 hosts"
    assert len(text) < 2_000_000


def test_every_catalog_gpu_has_a_compute_capability() -> None:
    from pathlib import Path

    from ruamel.yaml import YAML

    data = Path(__file__).resolve().parents[2] / "aiinfra_iac" / "catalog" / "data" / "gpus.yaml"
    gpus = YAML(typ="safe").load(data.read_text())["gpus"]
    assert gpus
    for gpu in gpus:
        assert re.fullmatch(r"\d+\.\d+", str(gpu.get("compute_capability", ""))), gpu["id"]
    assert "https://developer.nvidia.com/cuda-gpus" in data.read_text()


def test_efa_dpu_and_tool_vars() -> None:
    from aiinfra_iac.blueprint.models import Dpu

    plan = cluster(
        (
            pool(
                "gpu", 2, gpu=H100, fabric=efa_fabric(), dpu=Dpu(name="bf3", model="bluefield-3", mode="dpu")
            ),
        ),
        provider="aws",
        scheduler="kubernetes",
    )
    plan = plan.model_copy(
        update={
            "pools": (plan.pools[0].model_copy(update={"nccl_env": {"FI_PROVIDER": "efa", "NCCL_NET": "x"}}),)
        }
    )
    got = role_vars_for_pool(plan, plan.pool("gpu"))
    assert got["efa_fi_env"] == {"FI_PROVIDER": "efa"}
    assert (got["bluefield_dpu_model"], got["bluefield_dpu_mode"]) == ("bluefield-3", "dpu")
    assert (got["bluefield_dpu_expected"], got["bluefield_dpu_hardware_mode"]) == (True, "live")
    assert got["validation_tools_gpu_burn_compute"] == "90"
    assert got["validation_tools_nccl_tests_gencode"] == "-gencode=arch=compute_90,code=sm_90"
    assert got["nccl_plugin"] == "aws-ofi-nccl"


def test_gres_gpus_carry_the_cores_of_each_gpus_numa_node() -> None:
    from aiinfra_iac.configure.rolevars import gres_gpus

    # p5.48xlarge: 2 sockets x 48 cores (catalog host_layouts.yaml), 2 NUMA nodes; GPUs 0-3 on node 0.
    gpu_pool = on_instance(pool("train", 2, gpu=H100), "p5.48xlarge")
    lines = gres_gpus(gpu_pool)
    assert [line["file"] for line in lines] == [f"/dev/nvidia{i}" for i in range(8)]
    assert {line["cores"] for line in lines[:4]} == {"0-47"}
    assert {line["cores"] for line in lines[4:]} == {"48-95"}
    # p4d.24xlarge: 2 x 24 cores.
    p4d = on_instance(pool("train", 2, gpu=H100), "p4d.24xlarge")
    assert [line["cores"] for line in gres_gpus(p4d)] == ["0-23"] * 4 + ["24-47"] * 4
    # Without a known CPU layout (on-prem) the role lists the GPUs without Cores=.
    assert gres_gpus(pool("train", 2, gpu=H100)) == []
    plan = cluster((gpu_pool, pool("head", 1, role="controller")), scheduler="slurm")
    assert role_vars_for_pool(plan, plan.pool("train"))["slurm_gres_gpus"] == lines


@pytest.mark.parametrize(
    ("instance_type", "memory_gib", "layout"),
    [("p4d.24xlarge", 1152, (2, 24, 2)), ("p5.48xlarge", 2048, (2, 48, 2))],
)
def test_slurm_node_lines_from_the_catalog_layout(
    instance_type: str, memory_gib: int, layout: tuple[int, int, int]
) -> None:
    gpu_pool = on_instance(pool("train", 2, gpu=H100), instance_type, memory_gib=memory_gib)
    plan = cluster((gpu_pool, pool("head", 1, role="controller")), scheduler="slurm")
    (node,) = role_vars_for_pool(plan, plan.pool("train"))["slurm_nodes"]  # type: ignore[misc]
    assert (node["sockets"], node["cores_per_socket"], node["threads_per_core"]) == layout
    assert node["real_memory"] == int(memory_gib * 1024 * 0.95) and "facts_host" not in node
    assert "cpus" not in node  # CPUs= alone is read as that many sockets


def test_host_subnet_manager_defines_the_blueprint_partition() -> None:
    fabric = ib_fabric().model_copy(update={"pkey": "0x8001"})
    plan = cluster((pool("gpu", 2, gpu=H100, fabric=fabric),), scheduler="slurm")
    got = role_vars_for_pool(plan, plan.pool("gpu"))
    assert got["rdma_infiniband_partitions"] == [{"name": "ib", "pkey": "0x8001"}]
    switch_managed = fabric.model_copy(update={"subnet_manager": "switch"})
    plan = cluster((pool("gpu", 2, gpu=H100, fabric=switch_managed),), scheduler="slurm")
    assert "rdma_infiniband_partitions" not in role_vars_for_pool(plan, plan.pool("gpu"))
