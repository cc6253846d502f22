"""The validation check list: kinds, scopes, catalog expectations and blueprint overrides."""

from __future__ import annotations

import pytest

from aiinfra_iac.catalog import expected_nccl_busbw, expected_rdma_gbps
from aiinfra_iac.plan import resolve

from ._blueprints import aws_p5, blueprint, onprem_ib


def test_p5_checks_and_catalog_expectations() -> None:
    checks = {c.id: c for c in resolve(aws_p5(count=4)).validation}
    assert set(checks) == {
        "gpu_burn:train",
        "dcgm:train",
        "nccl:train:all_reduce:node",
        "nccl:train:all_reduce:pool",
    }
    node, pool = checks["nccl:train:all_reduce:node"], checks["nccl:train:all_reduce:pool"]
    assert node.scope == "node" and pool.scope == "pool" and pool.params["nodes"] == 4
    assert node.expected == (expected_nccl_busbw("H100-SXM", 8, "all_reduce") or (0.0,))[0]
    assert (
        pool.expected
        == (expected_nccl_busbw("H100-SXM", 8, "all_reduce", "fabric", 100, 32, "efa") or (0.0,))[0]
    )
    assert node.source.startswith("catalog:") and pool.source.startswith("catalog:")
    assert checks["gpu_burn:train"].params == {"seconds": 300, "mode": "gpu", "gpus": 8}
    assert checks["dcgm:train"].params == {"level": 3} and checks["dcgm:train"].expected is None
    assert not any(c.kind == "rdma" for c in checks.values())  # perftest does not run over EFA SRD


def test_ib_adds_one_rdma_check_per_rail() -> None:
    checks = [c for c in resolve(onprem_ib()).validation if c.kind == "rdma"]
    assert [c.id for c in checks] == [f"rdma:gpu:mlx5_{n}" for n in range(8)]
    assert all(c.expected == expected_rdma_gbps(400)[0] and c.unit == "Gb/s" for c in checks)
    assert checks[5].params == {"device": "mlx5_5", "linkGbps": 400, "numaNode": 1, "maxBytes": "8M"}


def test_collectives_and_sizes_from_the_blueprint() -> None:
    validation = {"nccl": {"collectives": ["all_reduce", "all_gather", "alltoall"], "maxBytes": "4G"}}
    checks = [c for c in resolve(aws_p5(count=2, validation=validation)).validation if c.kind == "nccl"]
    assert [c.id for c in checks] == [
        f"nccl:train:{name}:{scope}"
        for name in ("all_reduce", "all_gather", "alltoall")
        for scope in ("node", "pool")
    ]
    assert {c.params["maxBytes"] for c in checks} == {"4G"}
    gather = next(c for c in checks if c.id == "nccl:train:all_gather:node")
    assert gather.expected == 360


def test_blueprint_thresholds_override_the_catalog() -> None:
    validation = {"nccl": {"minBusBwGBps": 400}, "rdma": {"minGbps": 350}}
    checks = resolve(onprem_ib(validation=validation)).validation
    nccl = [c for c in checks if c.kind == "nccl"]
    rdma = [c for c in checks if c.kind == "rdma"]
    assert nccl and all(c.expected == 400 and c.source == "blueprint" for c in nccl)
    assert rdma and all(c.expected == 350 and c.source == "blueprint" for c in rdma)


@pytest.mark.parametrize("section", ["gpuBurn", "dcgm", "nccl", "rdma"])
def test_disabled_sections_produce_no_checks(section: str) -> None:
    kind = {"gpuBurn": "gpu_burn", "dcgm": "dcgm", "nccl": "nccl", "rdma": "rdma"}[section]
    checks = resolve(onprem_ib(validation={section: {"enabled": False}})).validation
    assert not any(c.kind == kind for c in checks)
    assert checks  # the others remain


def test_single_node_pool_and_multi_node_off() -> None:
    assert not any(c.scope == "pool" for c in resolve(aws_p5(count=1)).validation)
    off = resolve(aws_p5(count=3, validation={"nccl": {"multiNode": False}})).validation
    assert not any(c.scope == "pool" for c in off)


def test_single_gpu_nodes_skip_the_single_node_nccl_run() -> None:
    bp = blueprint(
        {"type": "aws", "region": "us-east-1"}, [{"name": "dev", "instanceType": "g5.xlarge", "count": 2}]
    )
    nccl = [c for c in resolve(bp).validation if c.kind == "nccl"]
    assert [c.id for c in nccl] == ["nccl:dev:all_reduce:pool"]
    assert nccl[0].expected is None and "sockets" in nccl[0].source and nccl[0].params["rdma"] is False


def test_empty_pool_has_no_checks() -> None:
    assert resolve(aws_p5(count=0)).validation == ()


def test_check_ids_are_unique() -> None:
    validation = {"nccl": {"collectives": ["all_reduce", "reduce_scatter"]}}
    ids = [c.id for c in resolve(onprem_ib(validation=validation)).validation]
    assert len(ids) == len(set(ids))
