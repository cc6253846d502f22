"""CPU fallback: outputs in the tools' formats, read back by the same parsers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from aiinfra_iac.validate.parsers.gpu_burn import parse_gpu_burn
from aiinfra_iac.validate.parsers.nccl import parse_nccl_tests
from aiinfra_iac.validate.rules.common import Target
from aiinfra_iac.validate.rules.gpu_burn import judge_gpu_burn
from aiinfra_iac.validate.runners.cpu_burn import run_cpu_burn
from aiinfra_iac.validate.runners.formats import (
    BurnWorker,
    Measurement,
    RankInfo,
    bus_factor,
    gpu_burn_text,
    nccl_tests_text,
)
from aiinfra_iac.validate.runners.sizes import parse_size, sweep

from . import builders as b

HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.parametrize(
    ("collective", "n", "factor"),
    [
        ("all_reduce", 8, 1.75),
        ("all_reduce", 2, 1.0),
        ("all_gather", 4, 0.75),
        ("reduce_scatter", 4, 0.75),
        ("alltoall", 8, 0.875),
        ("broadcast", 8, 1.0),
        ("reduce", 16, 1.0),
    ],
)
def test_bus_factors_follow_nccl_tests_performance_md(collective: str, n: int, factor: float) -> None:
    assert bus_factor(collective, n) == pytest.approx(factor)


def test_sizes() -> None:
    assert parse_size("8G") == 8 << 30 and parse_size("64M") == 64 << 20 and parse_size(8) == 8
    assert sweep(8, 64) == [8, 16, 32, 64]
    with pytest.raises(ValueError, match="bad message size"):
        parse_size("8 GB")


def test_nccl_table_round_trips_through_the_parser() -> None:
    ranks = [RankInfo(i, 100 + i, "n0" if i < 2 else "n1", i % 2, "CPU") for i in range(4)]
    rows = [
        Measurement(1 << 20, 1 << 18, 1000.0, 0, 500.0, 0),
        Measurement(1 << 22, 1 << 20, 2000.0, 0, 2000.0, 2),
    ]
    text = nccl_tests_text("all_reduce", ranks, rows, min_bytes=1 << 20, max_bytes=1 << 22, warmup=1, iters=2)
    run = parse_nccl_tests(text, collective="all_reduce")
    assert run.problems == ()
    assert run.nranks == 4 and set(run.hosts) == {"n0", "n1"}
    largest = run.largest
    assert largest is not None and largest.size_bytes == 1 << 22
    algbw = (1 << 22) / 1e3 / 2000.0  # GB/s: bytes / µs / 1e3
    assert largest.oop_algbw_gbps == pytest.approx(algbw, abs=0.01)
    assert largest.oop_busbw_gbps == pytest.approx(algbw * 2 * 3 / 4, abs=0.01)
    assert run.wrong_total == 2 and run.out_of_bounds == 2


def test_burn_text_marks_a_worker_with_errors_faulty() -> None:
    workers = [BurnWorker(0, "cpu", 10, 5.0, 0), BurnWorker(1, "cpu", 10, 5.0, 7)]
    result = parse_gpu_burn(gpu_burn_text(workers, 1))
    assert [g.status for g in result.gpus] == ["OK", "FAULTY"]
    target = Target(b.check("gpu_burn", "cpu"), "cpu-0", Path("gpu_burn.log"))
    assert judge_gpu_burn(target, result, 2).status == "fail"


def test_cpu_burn_writes_a_passing_gpu_burn_log(tmp_path: Path) -> None:
    out = run_cpu_burn(tmp_path / "n0" / "gpu_burn.log", workers=2, seconds=0.3, size=64)
    result = parse_gpu_burn(out.read_text())
    assert result.problems == () and result.errors == ()
    assert [g.status for g in result.gpus] == ["OK", "OK"]
    assert all(g.gflops is not None and g.gflops > 0 for g in result.gpus)


@pytest.mark.skipif(not HAS_TORCH, reason="torch (CPU) not installed: pip install torch==2.13.0")
@pytest.mark.slow
def test_gloo_all_reduce_prints_a_correct_nccl_tests_table(tmp_path: Path) -> None:
    from aiinfra_iac.validate.runners.cpu_collective import CollectiveRun, run_collectives

    runs = [
        CollectiveRun(
            "all_reduce", (0, 1), ("n0", "n0"), 1024, 1 << 18, tmp_path / "n0.log", warmup=1, iters=2
        ),
        CollectiveRun(
            "all_gather", (0, 1), ("n0", "n1"), 1024, 1 << 16, tmp_path / "ag.log", warmup=1, iters=2
        ),
        CollectiveRun("alltoall", (0, 1), ("n0", "n0"), 1024, 1 << 16, tmp_path / "a2a.log"),
    ]
    run_collectives(runs, timeout_s=120)
    ar = parse_nccl_tests((tmp_path / "n0.log").read_text(), collective="all_reduce")
    assert ar.problems == () and ar.nranks == 2 and ar.wrong_total == 0 and ar.out_of_bounds == 0
    assert [r.size_bytes for r in ar.rows] == sweep(1024, 1 << 18)
    for row in ar.rows:  # 2 ranks: busbw = algbw x 2(n-1)/n = algbw
        assert row.oop_busbw_gbps == pytest.approx(row.oop_algbw_gbps, abs=0.011)
        assert row.oop_algbw_gbps == pytest.approx(row.size_bytes / 1e3 / row.oop_time_us, abs=0.011)
    ag = parse_nccl_tests((tmp_path / "ag.log").read_text(), collective="all_gather")
    assert ag.problems == () and ag.wrong_total == 0 and set(ag.hosts) == {"n0", "n1"}
    unsupported = parse_nccl_tests((tmp_path / "a2a.log").read_text(), collective="alltoall")
    assert unsupported.problems  # judged as a failed check, never a silent pass
    assert "not implemented" in (tmp_path / "a2a.log").read_text()
