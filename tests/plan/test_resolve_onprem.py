"""resolve() on-prem: InfiniBand and RoCE rails, NUMA by halves, NCCL env, DPU."""

from __future__ import annotations

import pytest

from aiinfra_iac.errors import BlueprintError
from aiinfra_iac.plan import resolve

from ._blueprints import onprem_ib, onprem_roce


def test_onprem_hosts_and_count_come_from_the_host_list() -> None:
    plan = resolve(onprem_ib(hosts=4))
    gpu, head = plan.pool("gpu"), plan.pool("head")
    assert gpu.hosts == ("gpu-001", "gpu-002", "gpu-003", "gpu-004") and gpu.count == 4
    assert head.count == 1 and head.gpu is None and head.rails == ()
    assert gpu.hourly_usd_per_node is None and gpu.network_interfaces == () and gpu.vcpus is None
    assert plan.summary.nodes == 5 and plan.summary.gpus == 32 and plan.summary.estimated_hourly_usd == 0


def test_ib_rails_one_hca_per_gpu_numa_by_halves() -> None:
    pool = resolve(onprem_ib()).pool("gpu")
    assert pool.gpu is not None and pool.gpu.model == "H100-SXM"  # alias H100-SXM5-80GB
    assert pool.numa_nodes == 2 and pool.gpu_numa == (0, 0, 0, 0, 1, 1, 1, 1)
    assert pool.fabric is not None
    assert (pool.fabric.nic, pool.fabric.link_gbps, pool.fabric.rails_per_node) == ("connectx-7", 400, 8)
    assert pool.fabric.hcas == tuple(f"mlx5_{n}" for n in range(8))
    assert pool.fabric.subnet_manager == "switch" and pool.fabric.roce is None
    assert [(r.device, r.gpus, r.numa_node) for r in pool.rails] == [
        (f"mlx5_{n}", (n,), 0 if n < 4 else 1) for n in range(8)
    ]
    assert all(r.network_card_index is None for r in pool.rails)


def test_ib_nccl_env() -> None:
    env = resolve(onprem_ib()).pool("gpu").nccl_env
    assert env["NCCL_IB_HCA"] == "=" + ",".join(f"mlx5_{n}" for n in range(8))
    assert env["NCCL_NET"] == "IB" and env["NCCL_NET_GDR_LEVEL"] == "PXB"
    assert "NCCL_IB_GID_INDEX" not in env and "NCCL_IB_TC" not in env and "FI_PROVIDER" not in env
    assert "NCCL_COLLNET_ENABLE" not in env
    assert resolve(onprem_ib()).pool("head").nccl_env == {}


def test_ib_explicit_hcas_sharp_and_no_gdr() -> None:
    fabric = {
        "hcas": ["mlx5_0", "mlx5_3", "mlx5_4", "mlx5_7"],
        "nic": "connectx-6",
        "gpuDirectRdma": False,
        "infiniband": {"sharp": True, "subnetManager": "ufm", "pkey": "0x8001"},
    }
    pool = resolve(onprem_ib(fabric=fabric)).pool("gpu")
    assert pool.fabric is not None and pool.fabric.link_gbps == 200 and pool.fabric.sharp
    assert pool.fabric.subnet_manager == "ufm" and pool.fabric.pkey == "0x8001"
    assert [(r.device, r.gpus, r.numa_node) for r in pool.rails] == [
        ("mlx5_0", (0, 1), 0),
        ("mlx5_3", (2, 3), 0),
        ("mlx5_4", (4, 5), 1),
        ("mlx5_7", (6, 7), 1),
    ]
    env = pool.nccl_env
    assert env["NCCL_IB_HCA"] == "=mlx5_0,mlx5_3,mlx5_4,mlx5_7"
    assert env["NCCL_COLLNET_ENABLE"] == "1" and env["NCCL_NET_GDR_LEVEL"] == "LOC"


def test_ib_rails_disagreeing_with_hcas_is_a_problem() -> None:
    with pytest.raises(BlueprintError) as caught:
        resolve(onprem_ib(fabric={"hcas": ["mlx5_0", "mlx5_1"], "railsPerNode": 4}))
    (problem,) = caught.value.problems
    assert problem.loc == "spec.fabrics[0].railsPerNode"


def test_roce_gid_tc_sl_from_the_blueprint() -> None:
    plan = resolve(onprem_roce({"gidIndex": 5, "trafficClass": 104, "dscp": 26, "pfcPriority": 4}))
    pool = plan.pool("gpu")
    assert pool.fabric is not None and pool.fabric.type == "roce" and pool.fabric.link_gbps == 200
    assert pool.fabric.roce is not None and pool.fabric.roce.gid_index == 5
    env = pool.nccl_env
    assert (env["NCCL_IB_GID_INDEX"], env["NCCL_IB_TC"], env["UCX_IB_TRAFFIC_CLASS"]) == ("5", "104", "104")
    # DSCP trust (the roce role): the SL/PCP is unused, so NCCL_IB_SL is not set.
    assert env["NCCL_NET"] == "IB" and "NCCL_IB_SL" not in env


def test_roce_defaults_and_dpu_supplies_the_nic() -> None:
    pool = resolve(onprem_roce()).pool("gpu")
    assert pool.dpu is not None and pool.dpu.model == "bluefield-3"
    assert pool.fabric is not None and pool.fabric.nic == "bluefield-3"
    # No GID index in the blueprint: NCCL >= 2.21 selects the RoCE v2 GID itself.
    assert "NCCL_IB_GID_INDEX" not in pool.nccl_env and pool.nccl_env["NCCL_IB_TC"] == "106"
    rdma = [c for c in resolve(onprem_roce()).validation if c.kind == "rdma"]
    assert len(rdma) == 8 and all("gidIndex" not in c.params for c in rdma)


def test_top_level_fabrics_are_resolved_too() -> None:
    plan = resolve(onprem_ib())
    assert [f.name for f in plan.fabrics] == ["ib"] and plan.fabrics[0] == plan.pool("gpu").fabric
