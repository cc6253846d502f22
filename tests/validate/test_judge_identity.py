"""judge(): results from the wrong hardware fail — NCCL network vs fabric type, GPU model, RDMA
device — and results folders that are no node of the plan are reported, not ignored."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.catalog import normalize_gpu_model
from aiinfra_iac.validate.judge import judge
from aiinfra_iac.validate.types import CheckResult, Verdict

from . import builders as b

H100 = b.gpu("H100-SXM")
NODES = {"gpu-0": "healthy-h100x8", "gpu-1": "healthy-h100x8"}
REAL = Path(__file__).resolve().parents[3] / "shared" / "real-outputs"


def _multi_node(tmp_path: Path, fabric: str, cluster: str, *, gpu_model: str = "H100-SXM") -> Verdict:
    pool = b.pool("gpu", 2, gpu_plan=b.gpu(gpu_model), fabric_plan=b.fabric(fabric))
    plan = b.plan([pool], b.gpu_checks("gpu", multi=300.0))
    return judge(plan, b.results_tree(tmp_path, NODES, cluster))


def _cluster(verdict: Verdict) -> CheckResult:
    return next(c for c in verdict.checks if c.node == "_cluster")


def _rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


# 1. NCCL network transport vs the pool's fabric type


@pytest.mark.parametrize(
    ("fabric", "cluster", "needle"),
    [
        ("infiniband", "healthy-roce-h100x16", "NET/RoCE on the pool's infiniband fabric"),
        ("roce", "healthy-ib-h100x16", "InfiniBand link-layer ports instead of RoCE"),
        ("efa", "healthy-ib-h100x16", "NET/IB instead of NET/OFI"),
        ("efa", "healthy-roce-h100x16", "NET/RoCE instead of NET/OFI"),
    ],
)
def test_network_of_another_fabric_fails(tmp_path: Path, fabric: str, cluster: str, needle: str) -> None:
    verdict = _multi_node(tmp_path, fabric, cluster)
    result = _cluster(verdict)
    assert result.status == "fail" and needle in result.detail, result.detail
    assert result.measured is not None  # the bandwidth is still reported
    assert [c.id for c in verdict.checks if c.status == "fail"] == [result.id]


def test_socket_fallback_still_fails_on_every_rdma_fabric(tmp_path: Path) -> None:
    for fabric in ("infiniband", "roce", "efa"):
        verdict = _multi_node(tmp_path / fabric, fabric, "socket-fallback-h100x16")
        assert _cluster(verdict).status == "fail" and "NET/Socket" in _cluster(verdict).detail


def _as_ofi(tmp_path: Path) -> Path:
    """The IB multi-node run as aws-ofi-nccl logs it: no IB port lines, channels via Libfabric."""
    tree = b.results_tree(tmp_path, NODES, "healthy-ib-h100x16")
    log = tree / "_cluster" / "nccl_all_reduce.log"
    lines = [line for line in log.read_text().splitlines() if "NET/IB : Using" not in line]
    text = "\n".join(lines).replace("via NET/IB/0/GDRDMA", "via NET/AWS Libfabric/0/GDRDMA")
    log.write_text(text.replace("Using network IB", "Using network AWS Libfabric") + "\n")
    return tree


def test_efa_run_over_ofi_passes_and_without_ofi_fails(tmp_path: Path) -> None:
    pool = b.pool("gpu", 2, gpu_plan=H100, fabric_plan=b.fabric("efa"))
    plan = b.plan([pool], b.gpu_checks("gpu", multi=300.0))
    tree = _as_ofi(tmp_path)
    verdict = judge(plan, tree)
    assert verdict.verdict == "pass", [c.detail for c in verdict.checks if c.status != "pass"]
    assert "NET/OFI" in _cluster(verdict).detail
    # the same run with the network lines gone: NCCL_DEBUG logged, but no sign of aws-ofi-nccl
    log = tree / "_cluster" / "nccl_all_reduce.log"
    log.write_text("\n".join(line for line in log.read_text().splitlines() if "Libfabric" not in line))
    result = _cluster(judge(plan, tree))
    assert result.status == "fail" and "no NET/OFI" in result.detail, result.detail


def test_roce_pool_over_net_ib_without_link_layer_lines_is_not_failed(tmp_path: Path) -> None:
    """RoCE runs over NCCL's IB transport too: only IB link-layer ports prove the wrong fabric."""
    tree = b.results_tree(tmp_path, NODES, "healthy-ib-h100x16")
    log = tree / "_cluster" / "nccl_all_reduce.log"
    log.write_text("\n".join(line for line in log.read_text().splitlines() if "NET/IB : Using" not in line))
    pool = b.pool("gpu", 2, gpu_plan=H100, fabric_plan=b.fabric("roce"))
    verdict = judge(b.plan([pool], b.gpu_checks("gpu", multi=300.0)), tree)
    assert _cluster(verdict).status == "pass", _cluster(verdict).detail


def test_single_node_run_over_the_wrong_network_fails(tmp_path: Path) -> None:
    pool = b.pool("gpu", 1, gpu_plan=H100, fabric_plan=b.fabric("infiniband"))
    plan = b.plan([pool], b.gpu_checks("gpu"))
    tree = b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8"})
    log = tree / "gpu-0" / "nccl_all_reduce.log"
    prefix = "h100-node-01:4000:4000 [0] NCCL INFO "
    log.write_text(
        log.read_text()
        + f"{prefix}NET/IB : Using [0]mlx5_0:1/RoCE ; OOB eth0:10.10.0.11<0>\n"
        + f"{prefix}Channel 00/0 : 0[0] -> 1[1] [send] via NET/IB/0\n"
    )
    (result,) = [c for c in judge(plan, tree).checks if c.kind == "nccl"]
    assert result.status == "fail" and "NET/RoCE" in result.detail, result.detail


# 2. GPU model identity


def test_h200_node_in_an_h100_pool_fails(tmp_path: Path) -> None:
    pool = b.pool("gpu", 2, gpu_plan=H100, fabric_plan=b.fabric())
    plan = b.plan([pool], b.gpu_checks("gpu"))
    verdict = judge(plan, b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8", "gpu-1": "healthy-h200x8"}))
    failed = {(c.node, c.kind): c.detail for c in verdict.checks if c.status == "fail"}
    assert set(failed) == {("gpu-1", "gpu_burn"), ("gpu-1", "nccl")}
    assert failed["gpu-1", "gpu_burn"].startswith(
        "H200-SXM (NVIDIA H200) found where the pool expects H100-SXM"
    )
    assert "H200-SXM" in failed["gpu-1", "nccl"] and "nccl-tests" in failed["gpu-1", "nccl"]


def test_multi_node_run_on_another_gpu_model_fails(tmp_path: Path) -> None:
    result = _cluster(_multi_node(tmp_path, "infiniband", "healthy-ib-h100x16", gpu_model="H200-SXM"))
    assert result.status == "fail"
    assert "H100-SXM (NVIDIA H100 80GB HBM3) found where the pool expects H200-SXM" in result.detail


def test_unmapped_gpu_name_is_noted_not_judged(tmp_path: Path) -> None:
    pool = b.pool("gpu", 1, gpu_plan=H100, fabric_plan=b.fabric())
    plan = b.plan([pool], b.gpu_checks("gpu"))
    tree = b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8"})
    for name in ("gpu_burn.log", "nccl_all_reduce.log"):
        _rewrite(tree / "gpu-0" / name, "NVIDIA H100 80GB HBM3", "NVIDIA Graphics Device")
    verdict = judge(plan, tree)
    assert verdict.verdict == "pass"
    for kind in ("gpu_burn", "nccl"):
        (result,) = [c for c in verdict.checks if c.kind == kind]
        assert "GPU model not judged: 'NVIDIA Graphics Device'" in result.detail, result.detail


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("NVIDIA H100 80GB HBM3", "H100-SXM"),
        ("NVIDIA H100 PCIe", "H100-PCIE"),
        ("NVIDIA A100-SXM4-80GB", "A100-SXM-80GB"),
        ("NVIDIA A100-SXM4-40GB", "A100-SXM-40GB"),
        ("NVIDIA H200", "H200-SXM"),
        ("NVIDIA B200", "B200"),
        ("NVIDIA L40S", "L40S"),
        ("NVIDIA A10G", "A10G"),
        ("NVIDIA L4", "L4"),
        ("Tesla T4", None),
        ("NVIDIA Graphics Device", None),
    ],
)
def test_driver_gpu_names_map_to_catalog_models(name: str, model: str | None) -> None:
    assert normalize_gpu_model(name) == model


@pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-outputs not present")
def test_real_output_gpu_names_are_mapped_or_left_unjudged() -> None:
    from aiinfra_iac.validate.parsers.gpu_burn import parse_gpu_burn
    from aiinfra_iac.validate.parsers.nccl import parse_nccl_tests

    names: set[str] = set()
    for path in (REAL / "nccl").rglob("*"):
        if path.is_file():
            names.update(parse_nccl_tests(path.read_text(errors="replace")).devices)
    for path in (REAL / "gpu_burn").rglob("*"):
        if path.is_file():
            names.update(parse_gpu_burn(path.read_text(errors="replace")).gpu_names)
    mapped = {name: normalize_gpu_model(name) for name in names}
    assert mapped.get("NVIDIA A100-SXM4-80GB", "A100-SXM-80GB") == "A100-SXM-80GB"
    assert mapped.get("A100-SXM4-40GB", "A100-SXM-40GB") == "A100-SXM-40GB"
    assert any(model is not None for model in mapped.values())


# 3. RDMA device identity


@pytest.mark.parametrize("per_rail_check", [False, True])
def test_perftest_log_of_another_hca_fails(tmp_path: Path, per_rail_check: bool) -> None:
    pool = b.pool("gpu", 1, gpu_plan=H100, fabric_plan=b.fabric())
    rdma = (
        b.check("rdma", "gpu", expected=380.0, unit="Gb/s", device="mlx5_0")
        if per_rail_check
        else b.check("rdma", "gpu", expected=380.0, unit="Gb/s")
    )
    plan = b.plan([pool], [rdma])
    tree = b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8"})
    _rewrite(tree / "gpu-0" / "ib_write_bw_mlx5_0.log", "Device         : mlx5_0", "Device         : mlx5_3")
    (result,) = judge(plan, tree).checks
    assert result.status == "fail"
    assert result.detail.startswith("log for mlx5_0 measured mlx5_3"), result.detail


def test_perftest_log_of_its_own_hca_passes(tmp_path: Path) -> None:
    pool = b.pool("gpu", 1, gpu_plan=H100, fabric_plan=b.fabric())
    plan = b.plan([pool], [b.check("rdma", "gpu", expected=380.0, unit="Gb/s")])
    (result,) = judge(plan, b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8"})).checks
    assert result.status == "pass" and "mlx5_0" in result.detail


# 4. results folders that are no node of the plan


def test_unknown_node_folder_is_one_warning_naming_it(tmp_path: Path) -> None:
    a = b.pool("a", 1, gpu_plan=H100, fabric_plan=b.fabric())
    c = b.pool("c", 1, gpu_plan=H100, fabric_plan=b.fabric())
    plan = b.plan([a, c], [b.check("gpu_burn", "a"), b.check("gpu_burn", "c")])
    tree = b.results_tree(
        tmp_path,
        {
            "a-0": "healthy-h100x8",
            "c-0": "healthy-h100x8",
            "b-3": "healthy-h100x8",
            "c0": "faulty-gpu-h100x8",
        },
    )
    (tree / "_slurm").mkdir()  # the Slurm runner's own folder: neither a node nor a warning
    verdict = judge(plan, tree)
    warned = [c for c in verdict.checks if c.status == "warn"]
    assert [(c.id, c.node, c.kind) for c in warned] == [
        ("layout:unknown-node:b-3", "b-3", "layout"),
        ("layout:unknown-node:c0", "c0", "layout"),
    ]
    assert "results folder c0/ is not a node of the plan" in warned[1].detail
    assert verdict.verdict == "warn"
    assert {c.node for c in verdict.checks if c.kind == "gpu_burn"} == {"a-0", "c-0"}
    assert set(verdict.as_json()["checks"][-1]) == b.CHECK_KEYS  # type: ignore[index]


def test_underscore_folders_are_not_nodes_of_a_single_pool(tmp_path: Path) -> None:
    pool = b.pool("gpu", 1, gpu_plan=H100, fabric_plan=b.fabric())
    plan = b.plan([pool], [b.check("gpu_burn", "gpu")])
    tree = b.results_tree(tmp_path, {"gpu-0": "healthy-h100x8"})
    (tree / "_slurm").mkdir()
    (tree / ".cache").mkdir()
    verdict = judge(plan, tree)
    assert [(c.node, c.status) for c in verdict.checks] == [("gpu-0", "pass")]
