"""Every published tool output in ../shared/real-outputs/ read in place by its parser.

The expected figures are the ones INDEX.md states for each file. Skipped when ../shared is absent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aiinfra_iac.validate.parsers import parse_dcgm_diag, parse_gpu_burn, parse_nccl_tests, parse_perftest
from aiinfra_iac.validate.parsers.types import DcgmResult, GpuBurnResult, NcclRun, PerftestResult

REAL = Path(__file__).resolve().parents[3] / ".." / "shared" / "real-outputs"

pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/real-outputs is not present")


def _files(sub: str) -> list[Path]:
    return sorted((REAL / sub).glob("*")) if REAL.is_dir() else []


# file → (busbw at the largest size, largest size, Avg bus bandwidth or None, transports)
NCCL: dict[str, tuple[float, int, float | None, frozenset[str]]] = {
    "superbench-a100x8-allreduce.log": (235.26, 8 << 30, 68.4048, frozenset()),
    "superbench-a100x8-reduce-rootcol.log": (228.38, 8 << 30, 65.018, frozenset()),
    "superbench-a100x8-alltoall.log": (224.31, 8 << 30, 58.6481, frozenset()),
    "deepops-dgxa100-2node-hdr-k8s-allreduce.log": (188.53, 4 << 30, 53.7098, frozenset()),
    "deepops-dgxa100-4node-slurm-allreduce.log": (191.05, 4 << 30, 113.289, frozenset()),
    "deepops-roce-2node-dgx-allreduce.log": (22.92, 2 << 30, 7.76739, frozenset()),
    "coreweave-h100-64-sharp-k8s-excerpt.log": (386.56, 8 << 30, 373.187, frozenset()),
    "coreweave-gb200-nvl72-1rack-excerpt.log": (834.57, 8 << 30, 745.53, frozenset()),
    "coreweave-gb200-20racks-1440gpu-excerpt.log": (405.74, 16 << 30, 297.808, frozenset()),
    "awsome-p4de-2node-efa-srun-prefix.log": (78.33, 2 << 30, None, frozenset()),
    "awsome-p5-2node-efa-srun-prefix.log": (487.09, 16 << 30, None, frozenset()),
    "awsome-p5-2node-eks-mpirun-prefix-elided.log": (437.79, 2 << 30, 52.9753, frozenset()),
    "awsdoeks-efa-disabled-socket-fallback-mpirun-prefix.log": (
        2.00,
        1 << 30,
        0.733914,
        frozenset({"NET/Socket"}),
    ),
    "awsdoeks-efa-enabled-libfabric-mpirun-prefix.log": (2.83, 1 << 30, 0.960456, frozenset({"NET/OFI"})),
    "awsdoeks-g4dn-metal-t4-2node-efa-debug-info-full.log": (3.11, 1 << 30, 1.15327, frozenset({"NET/OFI"})),
    "gcm-a100x8-1node-allreduce-hostname-templated.log": (231.72, 1 << 30, 210.99, frozenset()),
    "gcm-a100x16-2node-pairwise-allreduce-hostname-templated.log": (182.80, 1 << 30, 150.209, frozenset()),
}


@pytest.mark.parametrize("path", _files("nccl"), ids=lambda p: p.name)
def test_nccl_file_parses(path: Path) -> None:
    run = parse_nccl_tests(path.read_text(encoding="utf-8"))
    assert isinstance(run, NcclRun)
    if path.name == "gcm-mpirun-not-enough-slots-failure.log":
        assert run.rows == ()
        assert "not enough slots" in run.problems[0]  # the launcher's error line first
        assert "no nccl-tests result rows found" in run.problems
        assert run.collective == "all_reduce"  # from the binary path in the Open MPI message
        return
    busbw, size, avg, transports = NCCL[path.name]
    largest = run.largest
    assert largest is not None
    assert largest.size_bytes == size
    assert largest.oop_busbw_gbps == pytest.approx(busbw)
    assert run.avg_busbw_gbps == (pytest.approx(avg) if avg is not None else None)
    assert run.transports == transports
    if avg is None:  # the two awsome excerpts stop before the footer: reported, not silently accepted
        assert any("footer" in p for p in run.problems)
    else:
        assert run.problems == ()
        assert run.out_of_bounds == 0
    assert run.wrong_total == 0


def test_nccl_details_of_real_files() -> None:
    def parse(name: str) -> NcclRun:
        return parse_nccl_tests((REAL / "nccl" / name).read_text(encoding="utf-8"))

    rootcol = parse("superbench-a100x8-reduce-rootcol.log")
    assert rootcol.largest is not None and rootcol.largest.root == 0 and rootcol.largest.redop == "sum"
    assert (
        rootcol.devices == ("A100-SXM4-40GB",) * 8 and rootcol.nranks == 8 and rootcol.hosts == ("localhost",)
    )
    assert rootcol.largest.oop_wrong is None  # "error" column printed N/A (validation 0)

    alltoall = parse("superbench-a100x8-alltoall.log")
    assert alltoall.largest is not None and alltoall.largest.redop is None and alltoall.largest.root is None
    assert alltoall.largest.ip_busbw_gbps == pytest.approx(226.16)

    hdr = parse("deepops-dgxa100-2node-hdr-k8s-allreduce.log")  # CRLF line ends, old "error" column
    assert hdr.largest is not None and hdr.largest.oop_error == pytest.approx(5e-07)
    assert hdr.largest.oop_wrong is None

    nvl72 = parse("coreweave-gb200-nvl72-1rack-excerpt.log")
    assert nvl72.largest is not None and nvl72.largest.ip_busbw_gbps == pytest.approx(846.82)
    assert nvl72.nranks == 72 and nvl72.hosts == ("slurm-gb200-207-171",)
    assert nvl72.devices == ("NVIDIA Graphics Device",)
    assert parse("coreweave-gb200-20racks-1440gpu-excerpt.log").nranks == 1440

    g4dn = parse("awsdoeks-g4dn-metal-t4-2node-efa-debug-info-full.log")
    assert g4dn.nccl_version == "2.12.7+cuda11.4"
    assert g4dn.hosts == ("test-nccl-efa-worker-0", "test-nccl-efa-worker-1")
    assert g4dn.devices == ("Tesla T4", "Tesla T4")
    assert g4dn.largest is not None and g4dn.largest.oop_wrong == 0 and g4dn.largest.root == -1

    gcm = parse("gcm-a100x8-1node-allreduce-hostname-templated.log")
    assert gcm.nccl_version == "2.16.2+cuda11.6" and gcm.hosts == ("{hostname}",)
    assert len(gcm.rows) == 6

    elided = parse("awsome-p5-2node-eks-mpirun-prefix-elided.log")
    assert [r.size_bytes for r in elided.rows][:2] == [0, 64 << 20]


@pytest.mark.parametrize("path", _files("gpu_burn"), ids=lambda p: p.name)
def test_gpu_burn_file_parses(path: Path) -> None:
    result = parse_gpu_burn(path.read_text(encoding="utf-8"))
    assert isinstance(result, GpuBurnResult)
    assert [g.status for g in result.gpus] == ["OK"] * 8
    assert result.problems == () and result.errors == ()
    assert result.gpu_names == ("NVIDIA A100-SXM4-80GB",) * 8
    rates = [g.gflops for g in result.gpus]
    assert all(r is not None and 16_800 <= r <= 17_200 for r in rates)  # ~16.9-17.2 TFLOP/s per GPU
    assert result.gpus[1].gflops == 17093.0  # the last progress figure of GPU 1


# file → (device, link type, largest size, BW average in the file's own unit, the unit's Gb/s factor)
PERFTEST: dict[str, tuple[str, str, int, float, float]] = {
    "superbench-ib-write-bw-loopback-8M.log": ("ib0", "IB", 8 << 20, 24056.72, 1048576 * 8 / 1e9),
    "superbench-ib-write-bw-loopback-allsizes.log": ("ib0", "IB", 8 << 20, 23240.68, 1048576 * 8 / 1e9),
    "deepops-roce-ib-write-bw-cx5-100g.log": ("mlx5_0", "Ethernet", 65536, 92.40, 1.0),
}


@pytest.mark.parametrize("path", _files("perftest"), ids=lambda p: p.name)
def test_perftest_file_parses(path: Path) -> None:
    result = parse_perftest(path.read_text(encoding="utf-8"))
    assert isinstance(result, PerftestResult)
    device, link, size, avg, factor = PERFTEST[path.name]
    assert result.test == "ib_write_bw"
    assert (result.device, result.link_type, result.mtu) == (device, link, 4096)
    assert result.largest is not None and result.largest.size_bytes == size
    assert result.largest.bw_avg_gbps == pytest.approx(avg * factor)
    assert result.problems == ()


def test_perftest_interleaved_sweep_keeps_one_row_per_size() -> None:
    result = parse_perftest((REAL / "perftest/superbench-ib-write-bw-loopback-allsizes.log").read_text())
    assert [r.size_bytes for r in result.rows] == [2**k for k in range(1, 24)]
    assert result.rows[0].bw_avg_gbps == pytest.approx(5.30 * 1048576 * 8 / 1e9)


# file → (number of tests, {name: status} of the tests that did not pass) or None for malformed
DCGM: dict[str, Any] = {
    "virtualclient-diag-r3-pass-eud-skip.json": (16, {"EUD Test": "skip"}),
    "virtualclient-diag-r1-pass.json": (9, {}),
    "virtualclient-diag-malformed-categories-array.json": None,
}


@pytest.mark.parametrize("path", _files("dcgm"), ids=lambda p: p.name)
def test_dcgm_file_parses(path: Path) -> None:
    result = parse_dcgm_diag(path.read_text(encoding="utf-8"))
    assert isinstance(result, DcgmResult)
    expected = DCGM[path.name]
    if expected is None:
        assert result.tests == ()
        assert result.problems and "'DCGM GPU Diagnostic' is a list" in result.problems[0]
        return
    count, not_passed = expected
    assert len(result.tests) == count
    assert {t.name: t.status for t in result.tests if t.status != "pass"} == not_passed
    assert result.problems == ()
    assert {t.category for t in result.tests} >= {"Deployment"}


def test_every_real_output_is_covered() -> None:
    """A new file in real-outputs must get its expected figures here."""
    known = {*NCCL, "gcm-mpirun-not-enough-slots-failure.log", *PERFTEST, *DCGM, "superbench-a100x8-ok.log"}
    present = {p.name for sub in ("nccl", "gpu_burn", "perftest", "dcgm") for p in _files(sub)}
    assert present <= known, sorted(present - known)
