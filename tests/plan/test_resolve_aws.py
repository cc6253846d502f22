"""resolve() on AWS: EFA rails, interface layout, NUMA, NCCL env, hosts and cost."""

from __future__ import annotations

import pytest

from aiinfra_iac.errors import BlueprintError
from aiinfra_iac.plan import resolve

from ._blueprints import aws_p5, blueprint


def test_p5_pool_carries_every_instance_fact() -> None:
    plan = resolve(aws_p5(count=2), source_files=["bp.yaml"])
    pool = plan.pool("train")
    assert pool.hosts == ("train-0", "train-1") and pool.count == 2
    assert pool.gpu is not None and (pool.gpu.model, pool.gpu.count, pool.gpu.memory_gib) == (
        "H100-SXM",
        8,
        80,
    )
    assert pool.gpu.nvswitch and pool.gpu.architecture == "hopper"
    assert (pool.vcpus, pool.memory_gib, pool.numa_nodes) == (192, 2048, 2)
    assert pool.gpu_numa == (0, 0, 0, 0, 1, 1, 1, 1)
    assert pool.local_nvme_gib > 28_000
    assert plan.source_files == ("bp.yaml",)


def test_p5_has_32_efa_rails_four_per_gpu_on_the_gpu_numa_node() -> None:
    pool = resolve(aws_p5()).pool("train")
    assert pool.fabric is not None
    assert (pool.fabric.nic, pool.fabric.link_gbps, pool.fabric.rails_per_node) == ("efa-v2", 100, 32)
    assert len(pool.rails) == 32
    for rail in pool.rails:
        assert rail.network_card_index == rail.index and rail.device == f"efa{rail.index}"
        assert rail.gpus == (rail.index // 4,)
        assert rail.numa_node == (0 if rail.index < 16 else 1)
        assert rail.link_gbps == 100


def test_p5_interfaces_follow_the_aws_layout() -> None:
    interfaces = resolve(aws_p5()).pool("train").network_interfaces
    # "32 EFA devices and one ENA device": ENA primary, EFA-only on card 0 device 1 and cards 1-31 device 0.
    assert len(interfaces) == 33
    layout = [(i.network_card_index, i.device_index, i.kind) for i in interfaces]
    assert layout[:2] == [(0, 0, "interface"), (0, 1, "efa-only")]
    assert layout[2:] == [(card, 0, "efa-only") for card in range(1, 32)]


def test_efa_nccl_env_and_overrides_last() -> None:
    env = resolve(aws_p5()).pool("train").nccl_env
    # aws-ofi-nccl >= 1.7 with libfabric >= 1.18 needs none of the FI_* settings (doc/efa-env-var.md).
    assert env == {"NCCL_SOCKET_IFNAME": "^lo,docker,veth"}
    assert "NCCL_PROTO" not in env and "FI_EFA_FORK_SAFE" not in env
    tuned = resolve(aws_p5(tuning={"nccl": {"env": {"NCCL_NET": "Socket", "NCCL_DEBUG": "INFO"}}}))
    env = tuned.pool("train").nccl_env
    assert env["NCCL_NET"] == "Socket" and env["NCCL_DEBUG"] == "INFO"


@pytest.mark.parametrize(
    ("instance_type", "rails", "link", "gpus_per_rail", "nic"),
    [
        ("p4d.24xlarge", 4, 100, 2, "efa-v1"),
        ("p5en.48xlarge", 16, 200, 1, "efa-v3"),
        ("p6-b200.48xlarge", 8, 400, 1, "efa-v4"),
        ("g6e.48xlarge", 4, 100, 2, "efa"),
    ],
)
def test_other_efa_types(instance_type: str, rails: int, link: int, gpus_per_rail: int, nic: str) -> None:
    bp = blueprint(
        {"type": "aws", "region": "us-east-1"},
        [{"name": "train", "instanceType": instance_type, "count": 2, "fabric": "rail"}],
        fabrics=[{"name": "rail", "type": "efa"}],
    )
    pool = resolve(bp).pool("train")
    assert pool.fabric is not None and (pool.fabric.rails_per_node, pool.fabric.link_gbps) == (rails, link)
    assert pool.fabric.nic == nic
    assert all(len(rail.gpus) == gpus_per_rail for rail in pool.rails)
    assert sorted({g for rail in pool.rails for g in rail.gpus}) == list(range(8))
    # The plugin enables GPUDirect RDMA itself; the plan only pins NCCL off it where it is off.
    assert "FI_EFA_USE_DEVICE_RDMA" not in pool.nccl_env and "FI_PROVIDER" not in pool.nccl_env


def test_fewer_rails_than_cards_spreads_over_all_gpus() -> None:
    bp = blueprint(
        {"type": "aws", "region": "us-east-1"},
        [{"name": "train", "instanceType": "p5.48xlarge", "count": 2, "fabric": "rail"}],
        fabrics=[{"name": "rail", "type": "efa", "railsPerNode": 8}],
    )
    rails = resolve(bp).pool("train").rails
    assert [r.network_card_index for r in rails] == [0, 4, 8, 12, 16, 20, 24, 28]
    assert [r.gpus for r in rails] == [(n,) for n in range(8)]


def test_pool_without_fabric_gets_one_ena_interface_and_no_rails() -> None:
    bp = blueprint(
        {"type": "aws", "region": "us-east-1"},
        [
            {"name": "head", "role": "controller", "instanceType": "m6i.xlarge"},
            {"name": "dev", "instanceType": "g5.xlarge", "count": 3},
        ],
    )
    plan = resolve(bp)
    head, dev = plan.pool("head"), plan.pool("dev")
    assert head.count == 1 and head.hosts == ("head-0",) and head.gpu is None and head.nccl_env == {}
    assert [(i.network_card_index, i.kind) for i in head.network_interfaces] == [(0, "interface")]
    assert dev.rails == () and dev.fabric is None and dev.gpu is not None and dev.gpu.model == "A10G"


def test_gpu_alias_in_blueprint_is_normalised() -> None:
    bp = blueprint(
        {"type": "aws", "region": "us-east-1"},
        [{"name": "train", "instanceType": "p4de.24xlarge", "gpu": {"model": "a100-sxm4-80gb", "count": 8}}],
    )
    gpu = resolve(bp).pool("train").gpu
    assert gpu is not None and gpu.model == "A100-SXM-80GB"


@pytest.mark.parametrize(
    ("pools", "fabrics", "loc", "text"),
    [
        (
            [{"name": "t", "instanceType": "p9.48xlarge"}],
            [],
            "spec.nodePools[0].instanceType",
            "unknown instance type",
        ),
        (
            [{"name": "t", "gpu": {"model": "V100", "count": 8}}],
            [],
            "spec.nodePools[0].gpu.model",
            "unknown GPU",
        ),
        (
            [{"name": "t", "instanceType": "g5.xlarge", "fabric": "x"}],
            [],
            "spec.nodePools[0].fabric",
            "no fabric",
        ),
        (
            [{"name": "t", "instanceType": "g5.xlarge", "fabric": "e"}],
            [{"name": "e", "type": "efa"}],
            "spec.fabrics[0].type",
            "has no EFA",
        ),
        (
            [{"name": "t", "instanceType": "g5.xlarge", "storage": ["nope"]}],
            [],
            "spec.nodePools[0].storage",
            "no storage named 'nope'",
        ),
        ([{"name": "t", "instanceType": "g5.xlarge", "dpu": "nope"}], [], "spec.nodePools[0].dpu", "no DPU"),
    ],
)
def test_unresolvable_facts_raise_blueprint_error(
    pools: list[dict[str, object]], fabrics: list[dict[str, object]], loc: str, text: str
) -> None:
    bp = blueprint({"type": "aws", "region": "us-east-1"}, pools, fabrics=fabrics)
    with pytest.raises(BlueprintError) as caught:
        resolve(bp, source_files=["cluster.yaml"])
    (problem,) = caught.value.problems
    assert problem.id == "AI199" and problem.loc == loc and text in problem.message
    assert problem.file == "cluster.yaml"
