"""Table-driven tests of checks.storage (AI150-AI157)."""

from __future__ import annotations

from typing import Any

import pytest
from bp_casekit import assert_case
from bp_fakes import AWS, ONPREM, build

S0 = "spec.storage.0"
FSX = {
    "name": "scratch",
    "type": "fsx-lustre",
    "capacityGiB": 4800,
    "deploymentType": "PERSISTENT_2",
    "throughputPerTiB": 500,
}
WITH_FSX = build(AWS, ("spec.storage", [FSX]))

CASES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    ("efa on PERSISTENT_2", build(WITH_FSX, (f"{S0}.efa", True)), "AI150", []),
    (
        "efa on PERSISTENT_1",
        build(
            WITH_FSX,
            (f"{S0}.efa", True),
            (f"{S0}.deploymentType", "PERSISTENT_1"),
            (f"{S0}.throughputPerTiB", 200),
        ),
        "AI150",
        [f"{S0}.efa"],
    ),
    (
        "efa on nfs",
        build(
            ONPREM,
            ("spec.storage", [{"name": "n", "type": "nfs", "server": "f", "export": "/e", "efa": True}]),
        ),
        "AI150",
        [f"{S0}.efa"],
    ),
    ("valid throughput", WITH_FSX, "AI151", []),
    (
        "P2 throughput 200",
        build(WITH_FSX, (f"{S0}.throughputPerTiB", 200)),
        "AI151",
        [f"{S0}.throughputPerTiB"],
    ),
    (
        "P1 throughput 200",
        build(WITH_FSX, (f"{S0}.deploymentType", "PERSISTENT_1"), (f"{S0}.throughputPerTiB", 200)),
        "AI151",
        [],
    ),
    (
        "scratch with throughput",
        build(WITH_FSX, (f"{S0}.deploymentType", "SCRATCH_2")),
        "AI151",
        [f"{S0}.throughputPerTiB"],
    ),
    ("persistent without throughput", build(WITH_FSX, (f"{S0}.throughputPerTiB", None)), "AI151", [S0]),
    ("capacity 1200", build(WITH_FSX, (f"{S0}.capacityGiB", 1200)), "AI152", []),
    ("capacity 3600 on P2", build(WITH_FSX, (f"{S0}.capacityGiB", 3600)), "AI152", [f"{S0}.capacityGiB"]),
    (
        "capacity 3600 on SCRATCH_1",
        build(
            WITH_FSX,
            (f"{S0}.capacityGiB", 3600),
            (f"{S0}.deploymentType", "SCRATCH_1"),
            (f"{S0}.throughputPerTiB", None),
        ),
        "AI152",
        [],
    ),
    ("capacity missing", build(WITH_FSX, (f"{S0}.capacityGiB", None)), "AI152", [S0]),
    ("retain default", WITH_FSX, "AI153", []),
    ("retain false", build(WITH_FSX, (f"{S0}.retain", False)), "AI153", [f"{S0}.retain"]),
    ("fsx on onprem", build(ONPREM, ("spec.storage", [FSX])), "AI154", [f"{S0}.type"]),
    ("server on fsx", build(WITH_FSX, (f"{S0}.server", "nfs-1")), "AI155", [f"{S0}.server"]),
    (
        "nfs without export",
        build(ONPREM, ("spec.storage", [{"name": "n", "type": "nfs", "server": "f"}])),
        "AI155",
        [S0],
    ),
    ("nvme on p5", build(AWS, ("spec.storage", [{"name": "n", "type": "local-nvme"}])), "AI156", []),
    (
        "nvme on m5",
        build(
            AWS,
            ("spec.nodePools.0.instanceType", "m5.xlarge"),
            ("spec.storage", [{"name": "n", "type": "local-nvme"}]),
        ),
        "AI156",
        [f"{S0}.type"],
    ),
    (
        "fsx links an s3 entry",
        build(WITH_FSX, (f"{S0}.dataRepository", "data"), ("spec.storage.1", {"name": "data", "type": "s3"})),
        "AI157",
        [],
    ),
    ("fsx links an s3 uri", build(WITH_FSX, (f"{S0}.dataRepository", "s3://ext-bucket/set")), "AI157", []),
    (
        "fsx links an nfs entry",
        build(
            WITH_FSX,
            (f"{S0}.dataRepository", "home"),
            ("spec.storage.1", {"name": "home", "type": "nfs", "server": "f", "export": "/e"}),
        ),
        "AI157",
        [f"{S0}.dataRepository"],
    ),
]


@pytest.mark.parametrize(("data", "rule_id", "locs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_storage_rules(data: dict[str, Any], rule_id: str, locs: list[str]) -> None:
    assert_case(data, rule_id, locs)


def test_capacity_message_names_next_valid_size() -> None:
    from bp_fakes import problems

    (problem,) = problems(build(WITH_FSX, (f"{S0}.capacityGiB", 3600)), "AI152")
    assert "next valid: 4800" in problem.message
