"""Table-driven tests of checks.scheduler (AI160-162, AI169), tuning (AI170-173), validation (AI180-182)."""

from __future__ import annotations

from typing import Any

import pytest
from bp_casekit import assert_case
from bp_fakes import AWS, ONPREM, build

ENV = "spec.tuning.nccl.env"
V = "spec.validation"

CASES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    ("slurm with controller", ONPREM, "AI160", []),
    (
        "slurm without controller",
        build(ONPREM, ("spec.nodePools.0.role", "login")),
        "AI160",
        ["spec.nodePools"],
    ),
    (
        "slurm block on kubernetes",
        build(AWS, ("spec.scheduler.slurm", {"pyxis": True})),
        "AI161",
        ["spec.scheduler.slurm"],
    ),
    (
        "kubernetes provider with slurm",
        build(ONPREM, ("spec.provider", {"type": "kubernetes"})),
        "AI162",
        ["spec.scheduler.type"],
    ),
    ("no scheduler on hosts", build(ONPREM, ("spec.scheduler", {"type": "none"})), "AI169", []),
    ("ray on aws", build(AWS, ("spec.scheduler", {"type": "ray"})), "AI169", ["spec.scheduler.type"]),
    ("ray on hosts", build(ONPREM, ("spec.scheduler", {"type": "ray"})), "AI169", ["spec.scheduler.type"]),
    (
        "known NCCL variable",
        build(AWS, (ENV, {"NCCL_IB_QPS_PER_CONNECTION": "4", "FI_EFA_FORK_SAFE": "1"})),
        "AI170",
        [],
    ),
    (
        "NCCL typo",
        build(AWS, (ENV, {"NCCL_IB_QPS_PER_CONECTION": "4"})),
        "AI170",
        [f"{ENV}.NCCL_IB_QPS_PER_CONECTION"],
    ),
    ("not an NCCL variable", build(AWS, (ENV, {"LD_PRELOAD": "x"})), "AI170", [f"{ENV}.LD_PRELOAD"]),
    ("few hugepages", build(AWS, ("spec.tuning.host.hugepages2M", 1024)), "AI171", []),
    (
        "hugepages over half",
        build(AWS, ("spec.tuning.host.hugepages2M", 600_000)),
        "AI171",
        ["spec.tuning.host.hugepages2M"],
    ),
    (
        "numa balancing on",
        build(AWS, ("spec.tuning.host.numaBalancing", True)),
        "AI172",
        ["spec.tuning.host.numaBalancing"],
    ),
    ("gpu-operator on k8s", build(AWS, ("spec.tuning.driver.managedBy", "gpu-operator")), "AI173", []),
    (
        "gpu-operator on slurm",
        build(ONPREM, ("spec.tuning.driver.managedBy", "gpu-operator")),
        "AI173",
        ["spec.tuning.driver.managedBy"],
    ),
    ("gpuDirect auto", AWS, "AI174", []),
    (
        "dmabuf with proprietary modules",
        build(ONPREM, ("spec.tuning", {"driver": {"open": False, "gpuDirect": "dmabuf"}})),
        "AI174",
        ["spec.tuning.driver.gpuDirect"],
    ),
    (
        "peermem on EFA",
        build(AWS, ("spec.tuning", {"driver": {"gpuDirect": "peermem"}})),
        "AI174",
        ["spec.tuning.driver.gpuDirect"],
    ),
    (
        "peermem on InfiniBand",
        build(ONPREM, ("spec.tuning", {"driver": {"gpuDirect": "peermem"}})),
        "AI174",
        [],
    ),
    ("open modules", ONPREM, "AI175", []),
    (
        "proprietary modules, auto",
        build(ONPREM, ("spec.tuning", {"driver": {"open": False}})),
        "AI175",
        ["spec.tuning.driver.open"],
    ),
    (
        "proprietary modules, GPUDirect off",
        build(ONPREM, ("spec.tuning", {"driver": {"open": False}}), ("spec.fabrics.0.gpuDirectRdma", False)),
        "AI175",
        [],
    ),
    ("rules ordered", AWS, "AI180", []),
    (
        "warn below fail",
        build(AWS, (f"{V}.rules", {"failBelow": 0.9, "warnBelow": 0.8})),
        "AI180",
        [f"{V}.rules.warnBelow"],
    ),
    ("reachable busbw", build(AWS, (f"{V}.nccl.minBusBwGBps", 300)), "AI181", []),
    ("busbw above NVLink", build(AWS, (f"{V}.nccl.minBusBwGBps", 500)), "AI181", [f"{V}.nccl.minBusBwGBps"]),
    (
        "2 x p5 reach more busbw than their EFA rate (published 487 GB/s on 400 GB/s)",
        build(
            AWS,
            ("spec.nodePools.0.instanceType", "p5.48xlarge"),
            ("spec.nodePools.0.count", 2),
            (f"{V}.nccl.minBusBwGBps", 440),
        ),
        "AI181",
        [],
    ),
    (
        "busbw above p4d network across nodes",
        build(AWS, ("spec.nodePools.0.instanceType", "p4d.24xlarge"), (f"{V}.nccl.minBusBwGBps", 150)),
        "AI181",
        [f"{V}.nccl.minBusBwGBps"],
    ),
    (
        "same busbw single node only",
        build(
            AWS,
            ("spec.nodePools.0.instanceType", "p4d.24xlarge"),
            (f"{V}.nccl.minBusBwGBps", 150),
            (f"{V}.nccl.multiNode", False),
        ),
        "AI181",
        [],
    ),
    ("busbw auto", AWS, "AI181", []),
    ("rdma within link", build(ONPREM, (f"{V}.rdma.minGbps", 380)), "AI182", []),
    ("rdma above link", build(ONPREM, (f"{V}.rdma.minGbps", 450)), "AI182", [f"{V}.rdma.minGbps"]),
    ("rdma above EFA rail", build(AWS, (f"{V}.rdma.minGbps", 150)), "AI182", [f"{V}.rdma.minGbps"]),
]


@pytest.mark.parametrize(("data", "rule_id", "locs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_scheduler_tuning_validation_rules(data: dict[str, Any], rule_id: str, locs: list[str]) -> None:
    assert_case(data, rule_id, locs)


def test_nccl_typo_suggests_closest() -> None:
    from bp_fakes import problems

    (problem,) = problems(build(AWS, (ENV, {"NCCL_IB_QPS_PER_CONECTION": "4"})), "AI170")
    assert "did you mean 'NCCL_IB_QPS_PER_CONNECTION'?" in problem.message


@pytest.mark.parametrize(("base", "instead"), [(AWS, "platform: {ray: true}"), (ONPREM, "{type: slurm}")])
def test_standalone_ray_says_what_to_use_instead(base: dict[str, Any], instead: str) -> None:
    from bp_fakes import problems

    (problem,) = problems(build(base, ("spec.scheduler", {"type": "ray"})), "AI169")
    assert instead in problem.message and "{type: none}" in problem.message
