"""The rules on real published nccl-tests outputs (read in place from ../shared/real-outputs/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aiinfra_iac.validate.judge import judge
from aiinfra_iac.validate.types import CheckResult

from . import builders as b

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "real-outputs" / "nccl"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-outputs not present")


def _cluster_result(
    tmp_path: Path, log: str, fabric: str | None, expected: float, gpus: int, max_bytes: str = "1G"
) -> CheckResult:
    """``max_bytes``: the ``-e`` each published run was started with (its sweep's planned end)."""
    pool = b.pool("gpu", 2, gpu_plan=b.gpu("A100", gpus), fabric_plan=b.fabric(fabric) if fabric else None)
    check = b.check("nccl", "gpu", expected=expected, unit="GB/s", scope="pool", maxBytes=max_bytes)
    plan = b.plan([pool], [check])
    (tmp_path / "_cluster").mkdir()
    shutil.copy(REAL / log, tmp_path / "_cluster" / "nccl_all_reduce.log")
    (result,) = judge(plan, tmp_path).checks
    return result


def test_efa_disabled_run_that_fell_back_to_sockets_fails(tmp_path: Path) -> None:
    result = _cluster_result(
        tmp_path, "awsdoeks-efa-disabled-socket-fallback-mpirun-prefix.log", "efa", 1.0, 1
    )
    assert result.status == "fail" and "NET/Socket" in result.detail


def test_efa_enabled_run_of_the_same_cluster_passes(tmp_path: Path) -> None:
    result = _cluster_result(tmp_path, "awsdoeks-efa-enabled-libfabric-mpirun-prefix.log", "efa", 2.5, 1)
    assert result.status == "pass" and result.measured == pytest.approx(2.83)


def test_dgx_a100_hdr_run_judged_at_4_gib_not_on_the_average(tmp_path: Path) -> None:
    log = "deepops-dgxa100-2node-hdr-k8s-allreduce.log"
    result = _cluster_result(tmp_path, log, "infiniband", 185.0, 8, "4G")
    assert result.status == "pass" and result.measured == pytest.approx(188.53)  # Avg is 53.7
    assert "4 GiB" in result.detail


def test_mpirun_without_enough_slots_fails_saying_why(tmp_path: Path) -> None:
    result = _cluster_result(tmp_path, "gcm-mpirun-not-enough-slots-failure.log", "infiniband", 180.0, 8)
    assert result.status == "fail" and "not enough slots" in result.detail


def test_excerpt_without_footer_is_not_a_pass(tmp_path: Path) -> None:
    result = _cluster_result(tmp_path, "awsome-p5-2node-efa-srun-prefix.log", "efa", 400.0, 8)
    assert result.status == "fail" and "footer" in result.detail
