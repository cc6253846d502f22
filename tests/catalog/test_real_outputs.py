"""Catalog expectations against published measurements (../shared/real-outputs/, read in place).

A healthy published run must clear ``failBelow`` (0.90) x the catalog's expected figure; the
expectation must not be so low that it says nothing (at least half the measured value).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.catalog import expected_nccl_busbw, expected_rdma_gbps

REAL = Path(__file__).resolve().parents[3] / "shared" / "real-outputs"
FAIL_BELOW = 0.90


def _read(relative: str) -> str:
    path = REAL / relative
    if not path.is_file():
        pytest.skip(f"{path} not present")
    return path.read_text(encoding="utf-8", errors="replace")


def _largest_oop_busbw(text: str) -> float:
    """Out-of-place busbw of the largest message size of an nccl-tests table."""
    best: tuple[int, float] | None = None
    for line in text.splitlines():
        tokens = line.split()
        while tokens and not tokens[0].isdigit():  # srun "0:" / mpirun "[1,0]<stdout>:" prefixes
            tokens = tokens[1:]
        if len(tokens) < 10 or not tokens[1].isdigit():
            continue
        try:
            size, busbw = int(tokens[0]), float(tokens[-6])
        except ValueError:
            continue
        if best is None or size > best[0]:
            best = (size, busbw)
    assert best is not None, "no nccl-tests rows found"
    return best[1]


@pytest.mark.parametrize(
    ("log", "gpu", "gpus", "collective", "scope", "link", "rails", "fabric"),
    [
        ("nccl/superbench-a100x8-allreduce.log", "A100-SXM-40GB", 8, "all_reduce", "node", None, None, ""),
        ("nccl/superbench-a100x8-reduce-rootcol.log", "A100-SXM-40GB", 8, "reduce", "node", None, None, ""),
        ("nccl/superbench-a100x8-alltoall.log", "A100-SXM-40GB", 8, "alltoall", "node", None, None, ""),
        (
            "nccl/gcm-a100x8-1node-allreduce-hostname-templated.log",
            "A100-SXM-80GB",
            8,
            "all_reduce",
            "node",
            None,
            None,
            "",
        ),
        ("nccl/awsome-p5-2node-efa-srun-prefix.log", "H100-SXM", 8, "all_reduce", "fabric", 100, 32, "efa"),
        (
            "nccl/awsome-p4de-2node-efa-srun-prefix.log",
            "A100-SXM-80GB",
            8,
            "all_reduce",
            "fabric",
            100,
            4,
            "efa",
        ),
        (
            "nccl/deepops-dgxa100-2node-hdr-k8s-allreduce.log",
            "A100-SXM-80GB",
            8,
            "all_reduce",
            "fabric",
            200,
            8,
            "infiniband",
        ),
        (
            "nccl/deepops-dgxa100-4node-slurm-allreduce.log",
            "A100-SXM-80GB",
            8,
            "all_reduce",
            "fabric",
            200,
            8,
            "infiniband",
        ),
    ],
)
def test_published_healthy_runs_pass_the_catalog_bar(
    log: str,
    gpu: str,
    gpus: int,
    collective: str,
    scope: str,
    link: int | None,
    rails: int | None,
    fabric: str,
) -> None:
    measured = _largest_oop_busbw(_read(log))
    figure = expected_nccl_busbw(gpu, gpus, collective, scope, link, rails, fabric or "infiniband")
    assert figure is not None
    expected = figure[0]
    print(f"{log}: measured {measured} GB/s, expected {expected} GB/s")
    assert measured >= FAIL_BELOW * expected
    assert expected >= 0.5 * measured


def test_published_ib_write_bw_passes_the_rdma_bar() -> None:
    text = _read("perftest/deepops-roce-ib-write-bw-cx5-100g.log")
    row = next(line.split() for line in text.splitlines() if line.split()[:1] == ["65536"])
    measured = float(row[3])
    expected, _ = expected_rdma_gbps(100)
    assert measured == 92.40
    assert FAIL_BELOW * expected <= measured <= 1.0 * 100
