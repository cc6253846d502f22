"""The project's own fixtures (tests/fixtures/validate/, see its README.md) through the parsers."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.validate.parsers import parse_dcgm_diag, parse_gpu_burn, parse_nccl_tests, parse_perftest

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "validate"
NODES = FIX / "nodes"
LAYOUT = {"gpu_burn.log", "dcgm_diag.json", "nccl_all_reduce.log", "ib_write_bw_mlx5_0.log"}


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize("node", sorted(p.name for p in NODES.iterdir()))
def test_every_node_scenario_has_the_results_layout(node: str) -> None:
    assert {p.name for p in (NODES / node).iterdir()} == LAYOUT


# scenario → (GPU name, busbw @8 GiB, transports, burn Gflop/s range, rdma Gb/s, dcgm version)
HEALTHY = {
    "healthy-a100x8": ("NVIDIA A100-SXM4-80GB", 232.41, {"P2P"}, (17_900, 18_400), 196.01, "3.3.6"),
    "healthy-h100x8": ("NVIDIA H100 80GB HBM3", 478.52, {"P2P", "NVLS"}, (50_800, 51_700), 391.91, "4.2.3"),
    "healthy-h200x8": ("NVIDIA H200", 483.15, {"P2P", "NVLS"}, (51_600, 52_600), 392.21, "4.1.1"),
}


@pytest.mark.parametrize("scenario", sorted(HEALTHY))
def test_healthy_nodes(scenario: str) -> None:
    gpu, busbw, transports, (lo, hi), rdma, dcgm_version = HEALTHY[scenario]
    d = NODES / scenario
    run = parse_nccl_tests(_text(d / "nccl_all_reduce.log"), collective="all_reduce")
    assert run.problems == ()
    assert run.largest is not None and run.largest.size_bytes == 8 << 30
    assert run.largest.oop_busbw_gbps == pytest.approx(busbw)
    assert run.transports == frozenset(transports)
    assert run.devices == (gpu,) * 8 and run.nranks == 8 and len(run.hosts) == 1
    assert run.out_of_bounds == 0 and run.wrong_total == 0 and len(run.rows) == 31

    burn = parse_gpu_burn(_text(d / "gpu_burn.log"))
    assert burn.problems == () and burn.errors == ()
    assert [g.status for g in burn.gpus] == ["OK"] * 8
    assert all(g.gflops is not None and lo <= g.gflops <= hi for g in burn.gpus)
    assert burn.gpu_names == (gpu,) * 8 and burn.seconds == 120

    perf = parse_perftest(_text(d / "ib_write_bw_mlx5_0.log"))
    assert perf.problems == () and perf.device == "mlx5_0" and perf.link_type == "IB"
    assert perf.largest is not None and perf.largest.bw_avg_gbps == pytest.approx(rdma, abs=0.01)

    dcgm = parse_dcgm_diag(_text(d / "dcgm_diag.json"))
    assert dcgm.problems == () and dcgm.version == dcgm_version
    assert {t.status for t in dcgm.tests} == {"pass"}
    assert all(
        t.gpu_ids == tuple(range(8)) for t in dcgm.tests if t.category != "Deployment" or "4." in dcgm_version
    )


def test_faulty_gpu() -> None:
    burn = parse_gpu_burn(_text(NODES / "faulty-gpu-h100x8" / "gpu_burn.log"))
    assert [g.index for g in burn.gpus if g.status == "FAULTY"] == [3]
    assert len(burn.gpus) == 8 and burn.problems == ()


def test_slow_nvlink() -> None:
    run = parse_nccl_tests(_text(NODES / "slow-nvlink-h100x8" / "nccl_all_reduce.log"))
    assert run.largest is not None and run.largest.oop_busbw_gbps == pytest.approx(237.5)
    assert "NVLS" not in run.transports and run.problems == ()


def test_degraded_hca_in_mib_per_second() -> None:
    text = _text(NODES / "degraded-hca-h100x8" / "ib_write_bw_mlx5_0.log")
    assert "BW average[MiB/sec]" in text
    perf = parse_perftest(text)
    assert perf.largest is not None and perf.largest.bw_avg_gbps == pytest.approx(195.81, abs=0.01)


def test_truncated_node_reports_problems_for_every_file() -> None:
    d = NODES / "truncated-h100x8"
    run = parse_nccl_tests(_text(d / "nccl_all_reduce.log"))
    assert any("cut short" in p for p in run.problems)
    assert any("footer" in p for p in run.problems)
    assert run.largest is not None and run.largest.size_bytes == 64 << 20  # the rows before the cut stay
    burn = parse_gpu_burn(_text(d / "gpu_burn.log"))
    assert burn.gpus == () and "Tested" in burn.problems[0]
    dcgm = parse_dcgm_diag(_text(d / "dcgm_diag.json"))
    assert dcgm.tests == () and "truncated" in dcgm.problems[0]
    perf = parse_perftest(_text(d / "ib_write_bw_mlx5_0.log"))
    assert perf.rows == () and "no perftest result rows" in perf.problems[0]


def test_nccl_wrong_and_out_of_bounds() -> None:
    wrong = parse_nccl_tests(_text(NODES / "nccl-wrong-h100x8" / "nccl_all_reduce.log"))
    bad = [r for r in wrong.rows if r.oop_wrong]
    assert [(r.size_bytes, r.oop_wrong, r.ip_wrong) for r in bad] == [(256 << 20, 1532, 1532)]
    assert wrong.wrong_total == 3064 and wrong.problems == ()
    oob = parse_nccl_tests(_text(NODES / "nccl-oob-a100x8" / "nccl_all_reduce.log"))
    assert oob.out_of_bounds == 3 and oob.wrong_total == 0 and oob.problems == ()


@pytest.mark.parametrize(
    ("scenario", "version", "test", "gpu"),
    [
        ("dcgm3-fail-a100x8", "3.3.6", "GPU Memory", 5),
        ("dcgm4-fail-h100x8", "4.2.3", "memory_bandwidth", 2),
    ],
)
def test_dcgm_failures(scenario: str, version: str, test: str, gpu: int) -> None:
    dcgm = parse_dcgm_diag(_text(NODES / scenario / "dcgm_diag.json"))
    assert dcgm.version == version and dcgm.problems == ()
    failed = [t for t in dcgm.tests if t.status == "fail"]
    assert [(t.name, t.gpu_ids) for t in failed] == [(test, (gpu,))]
    assert failed[0].info  # the warning text is kept
    passed_same = [t for t in dcgm.tests if t.name == test and t.status == "pass"]
    assert passed_same and gpu not in passed_same[0].gpu_ids


# scenario → (transports, busbw @16 GiB)
CLUSTER = {
    "healthy-ib-h100x16": ({"NET/IB", "P2P"}, 360.76),
    "healthy-roce-h100x16": ({"NET/RoCE", "P2P"}, 351.57),
    "socket-fallback-h100x16": ({"NET/Socket", "P2P"}, 2.93),
}


@pytest.mark.parametrize("scenario", sorted(CLUSTER))
def test_multi_node_runs(scenario: str) -> None:
    transports, busbw = CLUSTER[scenario]
    run = parse_nccl_tests(_text(FIX / "cluster" / scenario / "nccl_all_reduce.log"))
    assert run.problems == ()
    assert run.transports == frozenset(transports)
    assert run.nranks == 16 and len(run.hosts) == 2 and run.devices == ("NVIDIA H100 80GB HBM3",) * 16
    assert run.largest is not None and run.largest.size_bytes == 16 << 30
    assert run.largest.oop_busbw_gbps == pytest.approx(busbw)
    assert run.nccl_version == "2.21.5+cuda12.4"


def test_nccl_json_output() -> None:
    run = parse_nccl_tests(_text(FIX / "misc" / "nccl_all_reduce_h200_J.json"))
    assert run.problems == ()
    assert run.collective == "all_reduce" and run.nccl_version == "2.23.4"
    assert run.nranks == 8 and run.hosts == ("h200-node-02",) and run.devices == ("NVIDIA H200",) * 8
    assert run.largest is not None and run.largest.oop_busbw_gbps == pytest.approx(484.361075)
    assert run.largest.root == -1 and run.largest.redop == "sum" and run.largest.oop_wrong == 0
    assert run.out_of_bounds == 0 and run.avg_busbw_gbps == pytest.approx(166.269213)
    assert len(run.rows) == 31


def test_nccl_newer_build_alltoall() -> None:
    run = parse_nccl_tests(_text(FIX / "misc" / "nccl_alltoall_newer_build.log"))
    assert run.problems == () and run.collective == "alltoall" and run.nccl_version == "2.27.3"
    assert run.largest is not None and run.largest.oop_busbw_gbps == pytest.approx(315.86)
    assert run.largest.redop == "none" and run.largest.oop_wrong is None and run.nranks == 4


def test_nccl_failure_log() -> None:
    run = parse_nccl_tests(_text(FIX / "misc" / "nccl_test_failure.log"))
    # the error line the tool printed comes first, then what is missing
    assert run.rows == () and run.problems[0].startswith("NCCL WARN: NET/IB : Got completion")
    assert "no nccl-tests result rows found" in run.problems
    assert any("Test NCCL failure" in p for p in run.problems)
    assert run.transports == frozenset({"NET/IB"})


def test_perftest_latency() -> None:
    perf = parse_perftest(_text(FIX / "misc" / "ib_send_lat_mlx5_1.log"))
    assert perf.test == "ib_send_lat" and perf.device == "mlx5_1" and perf.problems == ()
    row = perf.largest
    assert row is not None and row.size_bytes == 8 and row.iterations == 1000
    assert (row.lat_min_us, row.lat_max_us, row.lat_typical_us, row.lat_avg_us) == (0.98, 3.86, 1.02, 1.03)
    assert (row.lat_p99_us, row.lat_p999_us) == (1.11, 3.86)
    assert row.bw_avg_gbps is None


def test_perftest_roce_with_warning_line() -> None:
    perf = parse_perftest(_text(FIX / "misc" / "ib_write_bw_roce_conflicting_freq_mlx5_2.log"))
    assert perf.problems == () and perf.link_type == "Ethernet" and perf.device == "mlx5_2"
    assert perf.largest is not None and perf.largest.bw_avg_gbps == pytest.approx(
        46690.18 * 1048576 * 8 / 1e9
    )


def test_perftest_missing_device() -> None:
    perf = parse_perftest(_text(FIX / "misc" / "ib_write_bw_device_missing.log"))
    assert perf.rows == ()
    assert any("IB device mlx5_7 not found" in p for p in perf.problems)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("gpu_burn_init_error.log", "Couldn't init a GPU test: Error in load module"),
        ("gpu_burn_no_devices.log", "No CUDA devices"),
    ],
)
def test_gpu_burn_errors(name: str, error: str) -> None:
    burn = parse_gpu_burn(_text(FIX / "misc" / name))
    assert burn.errors and burn.errors[0].startswith(error)
    assert burn.gpus == () and burn.problems


def test_gpu_burn_dead_worker_is_a_problem() -> None:
    burn = parse_gpu_burn(_text(FIX / "misc" / "gpu_burn_died.log"))
    assert [g.status for g in burn.gpus] == ["OK", "OK"]
    assert burn.problems == ("GPU 1: worker died during the burn (DIED!)",)
    assert burn.gpus[1].gflops == 18095.0 and burn.seconds == 30


def test_dcgm_runtime_error_and_iterations() -> None:
    err = parse_dcgm_diag(_text(FIX / "misc" / "dcgm4_runtime_error.json"))
    assert err.tests == () and err.version == "4.2.3"
    assert err.problems == (
        "dcgmi diag did not run: Error: unable to establish a connection to the specified host: localhost",
    )
    it = parse_dcgm_diag(_text(FIX / "misc" / "dcgm4_iterations_warn.json"))
    assert it.problems == ()
    warned = [t for t in it.tests if t.status == "warn"]
    assert [(t.name, t.gpu_ids) for t in warned] == [("software", (1,))]
    assert "Persistence mode" in warned[0].info
