"""Table-driven tests of checks.provider (AI120-AI122) and checks.names (AI102, AI103)."""

from __future__ import annotations

from typing import Any

import pytest
from bp_casekit import assert_case
from bp_fakes import AWS, ONPREM, build

P0 = "spec.nodePools.0"
P1 = "spec.nodePools.1"

CASES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    ("aws keys on aws", AWS, "AI120", []),
    (
        "region on onprem",
        build(ONPREM, ("spec.provider.region", "us-east-1")),
        "AI120",
        ["spec.provider.region"],
    ),
    (
        "kubeconfig on aws",
        build(AWS, ("spec.provider.kubeconfig", "~/.kube/config")),
        "AI120",
        ["spec.provider.kubeconfig"],
    ),
    ("sshUser on aws", build(AWS, ("spec.provider.sshUser", "ops")), "AI120", ["spec.provider.sshUser"]),
    ("hosts on aws pool", build(AWS, (f"{P0}.hosts", ["a"])), "AI120", [f"{P0}.hosts"]),
    (
        "instanceType on onprem",
        build(ONPREM, (f"{P1}.instanceType", "p5.48xlarge")),
        "AI120",
        [f"{P1}.instanceType"],
    ),
    ("spot on onprem", build(ONPREM, (f"{P1}.capacity", {"type": "spot"})), "AI120", [f"{P1}.capacity"]),
    ("aws without region", build(AWS, ("spec.provider.region", None)), "AI121", ["spec.provider"]),
    ("aws without AZ", build(AWS, ("spec.provider.availabilityZone", None)), "AI121", ["spec.provider"]),
    ("malformed region", build(AWS, ("spec.provider.region", "useast1")), "AI121", ["spec.provider.region"]),
    (
        "AZ of other region",
        build(AWS, ("spec.provider.availabilityZone", "us-west-2a")),
        "AI122",
        ["spec.provider.availabilityZone"],
    ),
    (
        "local zone accepted",
        build(
            AWS, ("spec.provider.region", "us-west-2"), ("spec.provider.availabilityZone", "us-west-2-lax-1a")
        ),
        "AI122",
        [],
    ),
    (
        "AZ without letter",
        build(AWS, ("spec.provider.availabilityZone", "us-east-1")),
        "AI122",
        ["spec.provider.availabilityZone"],
    ),
    ("endpoint private by default", AWS, "AI124", []),
    (
        "public endpoint from named cidrs",
        build(
            AWS,
            ("spec.provider.endpointAccess", "public"),
            ("spec.provider.endpointPublicCidrs", ["203.0.113.7/32"]),
        ),
        "AI124",
        [],
    ),
    ("cidrs alone", build(AWS, ("spec.provider.endpointPublicCidrs", ["203.0.113.7/32"])), "AI124", []),
    (
        "public endpoint open to all",
        build(AWS, ("spec.provider.endpointAccess", "public")),
        "AI124",
        ["spec.provider.endpointAccess"],
    ),
    ("flow logs on aws", build(AWS, ("spec.provider.flowLogs", True)), "AI120", []),
    ("unique names", ONPREM, "AI102", []),
    ("duplicate pool", build(ONPREM, (f"{P1}.name", "head")), "AI102", [f"{P1}.name"]),
    (
        "duplicate fabric",
        build(AWS, ("spec.fabrics.1", {"name": "efa", "type": "efa"})),
        "AI102",
        ["spec.fabrics.1.name"],
    ),
    (
        "duplicate storage",
        build(
            AWS,
            ("spec.storage", [{"name": "s", "type": "s3"}, {"name": "s", "type": "s3"}]),
        ),
        "AI102",
        ["spec.storage.1.name"],
    ),
    ("dangling fabric", build(AWS, (f"{P0}.fabric", "efa2")), "AI103", [f"{P0}.fabric"]),
    ("dangling dpu", build(ONPREM, (f"{P1}.dpu", "bf3")), "AI103", [f"{P1}.dpu"]),
    ("dangling storage", build(AWS, (f"{P0}.storage", ["data"])), "AI103", [f"{P0}.storage.0"]),
    (
        "dangling slurm partition",
        build(ONPREM, ("spec.scheduler.slurm", {"partitions": {"batch": ["gpu", "gpus"]}})),
        "AI103",
        ["spec.scheduler.slurm.partitions.batch.1"],
    ),
]


@pytest.mark.parametrize(("data", "rule_id", "locs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_provider_and_name_rules(data: dict[str, Any], rule_id: str, locs: list[str]) -> None:
    assert_case(data, rule_id, locs)


def test_dangling_reference_suggests_defined_name() -> None:
    from bp_fakes import problems

    (problem,) = problems(build(AWS, (f"{P0}.fabric", "efaa")), "AI103")
    assert "did you mean 'efa'?" in problem.message
