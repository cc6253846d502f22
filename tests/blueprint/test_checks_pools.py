"""Table-driven tests of aiinfra_iac.blueprint.checks.pools (AI101, AI104-AI112)."""

from __future__ import annotations

from typing import Any

import pytest
from bp_casekit import assert_case
from bp_fakes import AWS, ONPREM, build

P0 = "spec.nodePools.0"
P1 = "spec.nodePools.1"

CASES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    ("known instance type", AWS, "AI101", []),
    (
        "typo in instance type",
        build(AWS, (f"{P0}.instanceType", "p5.48xlarg")),
        "AI101",
        [f"{P0}.instanceType"],
    ),
    ("canonical GPU id", build(ONPREM, (f"{P1}.gpu.model", "H100-SXM")), "AI104", []),
    ("vendor alias accepted", build(ONPREM, (f"{P1}.gpu.model", "H100-SXM5-80GB")), "AI104", []),
    ("alias any case", build(ONPREM, (f"{P1}.gpu.model", "a100-sxm4-80gb")), "AI104", []),
    ("unknown GPU", build(ONPREM, (f"{P1}.gpu.model", "H100-SMX")), "AI104", [f"{P1}.gpu.model"]),
    ("gpu agrees", build(AWS, (f"{P0}.gpu", {"model": "H100-SXM5-80GB", "count": 8})), "AI105", []),
    (
        "gpu model contradicts",
        build(AWS, (f"{P0}.gpu", {"model": "A100-SXM-80GB", "count": 8})),
        "AI105",
        [f"{P0}.gpu.model"],
    ),
    (
        "gpu count contradicts",
        build(AWS, (f"{P0}.gpu", {"model": "H100-SXM", "count": 4})),
        "AI105",
        [f"{P0}.gpu.count"],
    ),
    (
        "gpu on CPU-only type",
        build(
            AWS,
            (f"{P0}.instanceType", "m5.xlarge"),
            (f"{P0}.fabric", None),
            (f"{P0}.gpu", {"model": "L40S", "count": 1}),
        ),
        "AI105",
        [f"{P0}.gpu"],
    ),
    ("compute pool without hardware", build(ONPREM, (f"{P1}.gpu", None)), "AI106", [P1]),
    ("controller needs no gpu", ONPREM, "AI106", []),
    (
        "local sandbox CPU pool is fine",
        build(ONPREM, ("spec.provider", {"type": "local"}), (f"{P1}.gpu", None)),
        "AI106",
        [],
    ),
    (
        "capacity block without id",
        build(AWS, (f"{P0}.capacity", {"type": "capacity-block"})),
        "AI107",
        [f"{P0}.capacity"],
    ),
    (
        "capacity block with id",
        build(AWS, (f"{P0}.capacity", {"type": "capacity-block", "reservationId": "cr-0123456789abcdef0"})),
        "AI107",
        [],
    ),
    (
        "capacity block on m5",
        build(
            AWS,
            (f"{P0}.instanceType", "m5.xlarge"),
            (f"{P0}.capacity", {"type": "capacity-block", "reservationId": "cr-0123456789abcdef0"}),
        ),
        "AI108",
        [f"{P0}.capacity.type"],
    ),
    ("onprem pool without hosts", build(ONPREM, (f"{P1}.hosts", None)), "AI109", [P1]),
    ("count matches hosts", build(ONPREM, (f"{P1}.count", 2)), "AI110", []),
    ("count differs from hosts", build(ONPREM, (f"{P1}.count", 3)), "AI110", [f"{P1}.count"]),
    ("spot GPU pool", build(AWS, (f"{P0}.capacity", {"type": "spot"})), "AI111", [f"{P0}.capacity.type"]),
    (
        "spot CPU pool is fine",
        build(AWS, (f"{P0}.instanceType", "m5.xlarge"), (f"{P0}.capacity", {"type": "spot"})),
        "AI111",
        [],
    ),
    ("host in two pools", build(ONPREM, (f"{P1}.hosts", ["gpu-01", "head-01"])), "AI112", [f"{P1}.hosts.1"]),
]


@pytest.mark.parametrize(("data", "rule_id", "locs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_pool_rules(data: dict[str, Any], rule_id: str, locs: list[str]) -> None:
    assert_case(data, rule_id, locs)


def test_unknown_instance_type_suggests_closest() -> None:
    from bp_fakes import problems

    (problem,) = problems(build(AWS, (f"{P0}.instanceType", "p5.48xlarg")), "AI101")
    assert "did you mean 'p5.48xlarge'?" in problem.message


def test_unknown_gpu_suggests_closest() -> None:
    from bp_fakes import problems

    (problem,) = problems(build(ONPREM, (f"{P1}.gpu.model", "H100-SMX")), "AI104")
    assert "did you mean 'H100-SXM'?" in problem.message
