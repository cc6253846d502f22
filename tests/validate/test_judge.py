"""judge() on results trees built from the fixture sets: each case with its asserted verdict."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.blueprint.models import ValidationRules
from aiinfra_iac.validate.judge import judge
from aiinfra_iac.validate.types import Verdict

from . import builders as b

H100 = b.gpu("H100")
IB = b.fabric("infiniband")


def _one_node(
    tmp_path: Path, fixture: str, *, model: str = "H100", nccl: float = 450.0, rdma: float = 380.0
) -> Verdict:
    pool = b.pool("gpu", 1, gpu_plan=b.gpu(model), fabric_plan=IB)
    plan = b.plan([pool], b.gpu_checks("gpu", nccl=nccl, rdma=rdma))
    return judge(plan, b.results_tree(tmp_path, {"gpu-0": fixture}))


def _status(verdict: Verdict, kind: str) -> str:
    (result,) = [c for c in verdict.checks if c.kind == kind]
    return result.status


@pytest.mark.parametrize(
    ("fixture", "model", "nccl", "rdma"),
    [
        ("healthy-a100x8", "A100", 220.0, 190.0),
        ("healthy-h100x8", "H100", 450.0, 380.0),
        ("healthy-h200x8", "H200", 450.0, 380.0),
    ],
)
def test_healthy_nodes_pass(tmp_path: Path, fixture: str, model: str, nccl: float, rdma: float) -> None:
    verdict = _one_node(tmp_path, fixture, model=model, nccl=nccl, rdma=rdma)
    assert verdict.verdict == "pass", [c.detail for c in verdict.checks if c.status != "pass"]
    assert {c.kind for c in verdict.checks} == {"gpu_burn", "dcgm", "nccl", "rdma"}
    nccl_result = next(c for c in verdict.checks if c.kind == "nccl")
    assert nccl_result.id == "nccl:gpu:all_reduce:node:gpu-0"
    assert nccl_result.measured is not None and nccl_result.measured > nccl


@pytest.mark.parametrize(
    ("fixture", "kind", "needle"),
    [
        ("faulty-gpu-h100x8", "gpu_burn", "FAULTY"),
        ("nccl-wrong-h100x8", "nccl", "wrong"),
        ("nccl-oob-a100x8", "nccl", "Out of bounds"),
        ("degraded-hca-h100x8", "rdma", "failBelow"),
        ("dcgm3-fail-a100x8", "dcgm", "failed"),
        ("dcgm4-fail-h100x8", "dcgm", "failed"),
        ("slow-nvlink-h100x8", "nccl", "failBelow"),
    ],
)
def test_broken_node_fails_the_right_check(tmp_path: Path, fixture: str, kind: str, needle: str) -> None:
    model = "A100" if "a100" in fixture else "H100"
    a100 = model == "A100"
    verdict = _one_node(
        tmp_path, fixture, model=model, nccl=220.0 if a100 else 450.0, rdma=190.0 if a100 else 380.0
    )
    assert verdict.verdict == "fail"
    failed = [c for c in verdict.checks if c.status == "fail"]
    assert [c.kind for c in failed] == [kind], [c.detail for c in failed]
    assert needle in failed[0].detail


def test_truncated_outputs_fail_saying_so(tmp_path: Path) -> None:
    verdict = _one_node(tmp_path, "truncated-h100x8")
    assert {c.kind: c.status for c in verdict.checks} == {
        "gpu_burn": "fail",
        "dcgm": "fail",
        "nccl": "fail",
        "rdma": "fail",
    }
    assert all("unusable" in c.detail for c in verdict.checks)
    assert "truncated" in next(c for c in verdict.checks if c.kind == "nccl").detail


def test_nccl_is_judged_at_the_largest_size_not_the_average(tmp_path: Path) -> None:
    verdict = _one_node(tmp_path, "healthy-h100x8")
    result = next(c for c in verdict.checks if c.kind == "nccl")
    assert result.measured == pytest.approx(478.52)
    assert "8 GiB" in result.detail or "GiB" in result.detail


@pytest.mark.parametrize(
    ("fail_below", "warn_below", "expected_status"),
    [(0.5, 0.99, "warn"), (0.9, 0.95, "fail"), (0.4, 0.5, "pass")],
)
def test_slow_nvlink_fails_or_warns_by_threshold(
    tmp_path: Path, fail_below: float, warn_below: float, expected_status: str
) -> None:
    pool = b.pool("gpu", 1, gpu_plan=H100, fabric_plan=IB)
    rules = ValidationRules(fail_below=fail_below, warn_below=warn_below)
    plan = b.plan([pool], b.gpu_checks("gpu", nccl=450.0), rules=rules)
    verdict = judge(plan, b.results_tree(tmp_path, {"gpu-0": "slow-nvlink-h100x8"}))
    assert _status(verdict, "nccl") == expected_status  # 237.5 GB/s = 53% of 450


def test_missing_file_fails_that_node_only(tmp_path: Path) -> None:
    pool = b.pool("gpu", 2, gpu_plan=H100, fabric_plan=IB)
    plan = b.plan([pool], b.gpu_checks("gpu"))
    tree = b.results_tree(
        tmp_path, {"gpu-0": "healthy-h100x8", "gpu-1": "healthy-h100x8"}, drop=["gpu-1/nccl_all_reduce.log"]
    )
    verdict = judge(plan, tree)
    failed = [c for c in verdict.checks if c.status == "fail"]
    assert [(c.node, c.kind) for c in failed] == [("gpu-1", "nccl")]
    assert "missing result file" in failed[0].detail
    assert all(c.status == "pass" for c in verdict.checks if c.node == "gpu-0")


def test_missing_node_directory_fails_every_check_of_that_node(tmp_path: Path) -> None:
    pool = b.pool("gpu", 2, gpu_plan=H100, fabric_plan=IB)
    plan = b.plan([pool], b.gpu_checks("gpu"))
    verdict = judge(plan, b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8"}))
    assert {c.kind for c in verdict.checks if c.node == "gpu-1" and c.status == "fail"} == {
        "gpu_burn",
        "dcgm",
        "nccl",
        "rdma",
    }


def test_socket_fallback_on_rdma_fabric_fails(tmp_path: Path) -> None:
    pool = b.pool("gpu", 2, gpu_plan=H100, fabric_plan=IB)
    plan = b.plan([pool], b.gpu_checks("gpu", multi=10.0))  # bar low enough that only the transport fails
    nodes = {"gpu-0": "healthy-h100x8", "gpu-1": "healthy-h100x8"}
    verdict = judge(plan, b.results_tree(tmp_path, nodes, "socket-fallback-h100x16"))
    cluster = next(c for c in verdict.checks if c.node == "_cluster")
    assert cluster.status == "fail"
    assert "NET/Socket" in cluster.detail
    assert cluster.id == "nccl:gpu:all_reduce:pool:_cluster"


@pytest.mark.parametrize("fixture", ["healthy-ib-h100x16", "healthy-roce-h100x16"])
def test_multi_node_over_rdma_passes(tmp_path: Path, fixture: str) -> None:
    kind = "roce" if "roce" in fixture else "infiniband"
    pool = b.pool("gpu", 2, gpu_plan=H100, fabric_plan=b.fabric(kind))
    plan = b.plan([pool], b.gpu_checks("gpu", multi=340.0))
    nodes = {"gpu-0": "healthy-h100x8", "gpu-1": "healthy-h100x8"}
    verdict = judge(plan, b.results_tree(tmp_path, nodes, fixture))
    assert verdict.verdict == "pass", [c.detail for c in verdict.checks if c.status != "pass"]


def test_socket_transport_without_rdma_fabric_is_judged_on_bandwidth_only(tmp_path: Path) -> None:
    pool = b.pool("gpu", 2, gpu_plan=H100, fabric_plan=None)
    plan = b.plan([pool], [b.check("nccl", "gpu", expected=2.0, unit="GB/s", scope="pool")])
    verdict = judge(plan, b.results_tree(tmp_path, {}, "socket-fallback-h100x16"))
    assert verdict.verdict == "pass"


def test_fleet_outlier_warns(tmp_path: Path) -> None:
    # four nodes: three at ~478-483 GB/s and one whose NVLink is 5% slow relative to... the slow-nvlink
    # set is far below failBelow, so use a low bar: only the outlier rule can flag it.
    pool = b.pool("gpu", 4, gpu_plan=H100, fabric_plan=IB)
    plan = b.plan([pool], b.gpu_checks("gpu", nccl=200.0))
    nodes = {f"gpu-{i}": "healthy-h100x8" for i in range(3)} | {"gpu-3": "slow-nvlink-h100x8"}
    verdict = judge(plan, b.results_tree(tmp_path, nodes))
    warned = [c for c in verdict.checks if c.status == "warn"]
    assert [(c.node, c.kind) for c in warned] == [("gpu-3", "nccl")]
    assert "outlier" in warned[0].detail and "median" in warned[0].detail
    assert verdict.verdict == "warn"


def test_no_outlier_below_three_nodes(tmp_path: Path) -> None:
    pool = b.pool("gpu", 2, gpu_plan=H100, fabric_plan=IB)
    plan = b.plan([pool], b.gpu_checks("gpu", nccl=200.0))
    verdict = judge(
        plan, b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8", "gpu-1": "slow-nvlink-h100x8"})
    )
    assert verdict.verdict == "pass"


def test_node_directories_map_to_pools_by_name(tmp_path: Path) -> None:
    a = b.pool("a", 1, gpu_plan=H100, fabric_plan=IB)
    c = b.pool("c", 1, gpu_plan=H100, fabric_plan=IB)
    plan = b.plan([a, c], [b.check("gpu_burn", "a"), b.check("gpu_burn", "c")])
    tree = b.results_tree(
        tmp_path, {"a-0": "healthy-h100x8", "c-0": "faulty-gpu-h100x8", "a-7": "healthy-h100x8"}
    )
    verdict = judge(plan, tree)
    by_node = {c.node: (c.pool, c.status) for c in verdict.checks}
    assert by_node == {"a-0": ("a", "pass"), "a-7": ("a", "pass"), "c-0": ("c", "fail")}


def test_gpu_burn_with_fewer_gpus_than_the_pool_fails(tmp_path: Path) -> None:
    pool = b.pool("gpu", 1, gpu_plan=b.gpu("H100", 16), fabric_plan=IB)
    plan = b.plan([pool], [b.check("gpu_burn", "gpu")])
    verdict = judge(plan, b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8"}))
    assert verdict.verdict == "fail"
    assert "8 of 16" in verdict.checks[0].detail


def test_garbage_output_is_a_failed_check_not_a_crash(tmp_path: Path) -> None:
    pool = b.pool("gpu", 1, gpu_plan=H100, fabric_plan=IB)
    plan = b.plan([pool], b.gpu_checks("gpu"))
    node = tmp_path / "gpu-0"
    node.mkdir()
    for name in ("gpu_burn.log", "dcgm_diag.json", "nccl_all_reduce.log", "ib_write_bw_mlx5_0.log"):
        (node / name).write_bytes(b"\x00\xffsegmentation fault (core dumped)\n")
    verdict = judge(plan, tmp_path)
    assert [c.status for c in verdict.checks] == ["fail"] * 4


def test_parallel_and_serial_judging_agree(tmp_path: Path) -> None:
    pool = b.pool("gpu", 6, gpu_plan=H100, fabric_plan=IB)
    plan = b.plan([pool], b.gpu_checks("gpu"))
    fixtures = ["healthy-h100x8", "faulty-gpu-h100x8", "degraded-hca-h100x8", "truncated-h100x8"]
    tree = b.results_tree(tmp_path, {f"gpu-{i}": fixtures[i % 4] for i in range(6)})
    import aiinfra_iac.validate.judge as judge_module

    serial = judge(plan, tree, workers=1)
    old = judge_module.PARALLEL_ABOVE
    judge_module.PARALLEL_ABOVE = 0
    try:
        parallel = judge(plan, tree, workers=2)
    finally:
        judge_module.PARALLEL_ABOVE = old
    assert serial == parallel


def _burn_tree(root: Path, rates: list[float]) -> Path:
    from aiinfra_iac.validate.runners.formats import BurnWorker, gpu_burn_text

    for i, rate in enumerate(rates):
        (root / f"gpu-{i}").mkdir(parents=True)
        workers = [BurnWorker(g, "GPU", 100, rate if g == 3 else 50_000.0, 0) for g in range(8)]
        (root / f"gpu-{i}" / "gpu_burn.log").write_text(gpu_burn_text(workers, 60))
    return root


def test_throttling_gpu_is_a_burn_outlier(tmp_path: Path) -> None:
    pool = b.pool("gpu", 4, gpu_plan=H100, fabric_plan=IB)
    plan = b.plan([pool], [b.check("gpu_burn", "gpu")])
    verdict = judge(plan, _burn_tree(tmp_path, [50_000.0, 49_800.0, 50_100.0, 41_000.0]))
    assert [(c.node, c.status) for c in verdict.checks] == [
        ("gpu-0", "pass"),
        ("gpu-1", "pass"),
        ("gpu-2", "pass"),
        ("gpu-3", "warn"),
    ]
    assert "outlier" in verdict.checks[3].detail and "Gflop/s" in verdict.checks[3].detail


def test_cpu_fallback_burns_are_not_compared(tmp_path: Path) -> None:
    pool = b.pool("gpu", 4)  # no GPU: the CPU fallback's burn, noisy on a shared machine
    plan = b.plan([pool], [b.check("gpu_burn", "gpu")], provider="local")
    verdict = judge(plan, _burn_tree(tmp_path, [50_000.0, 49_800.0, 50_100.0, 41_000.0]))
    assert verdict.verdict == "pass"


def test_two_pools_with_multi_node_runs_read_their_own_cluster_directories(tmp_path: Path) -> None:
    from aiinfra_iac.validate.runners.commands import pool_step

    a = b.pool("a", 2, gpu_plan=H100, fabric_plan=IB)
    c = b.pool("c", 2, gpu_plan=H100, fabric_plan=IB)
    checks = [b.check("nccl", p, expected=340.0, unit="GB/s", scope="pool") for p in ("a", "c")]
    plan = b.plan([a, c], checks)
    assert pool_step(plan, checks[0], a, a.hosts).output == "_cluster/a/nccl_all_reduce.log"
    fixtures = b.FIXTURES / "cluster"
    for pool, fixture in (("a", "healthy-ib-h100x16"), ("c", "socket-fallback-h100x16")):
        (tmp_path / "_cluster" / pool).mkdir(parents=True)
        text = (fixtures / fixture / "nccl_all_reduce.log").read_text()
        (tmp_path / "_cluster" / pool / "nccl_all_reduce.log").write_text(text)
    verdict = judge(plan, tmp_path)
    assert [(r.pool, r.status) for r in verdict.checks] == [("a", "pass"), ("c", "fail")]
