"""Table-driven tests of checks.fabrics (AI130-AI138)."""

from __future__ import annotations

from typing import Any

import pytest
from bp_casekit import assert_case
from bp_fakes import AWS, ONPREM, build

P0 = "spec.nodePools.0"
P1 = "spec.nodePools.1"
F0 = "spec.fabrics.0"
ROCE = build(
    ONPREM,
    (F0, {"name": "ib", "type": "roce", "linkGbps": 400, "roce": {"dscp": 26, "trafficClass": 106}}),
    ("spec.dpus", [{"name": "bf3", "model": "bluefield-3", "mode": "dpu"}]),
    (f"{P1}.dpu", "bf3"),
)

CASES: list[tuple[str, dict[str, Any], str, list[str]]] = [
    ("efa on p5", AWS, "AI130", []),
    ("efa on m5", build(AWS, (f"{P0}.instanceType", "m5.xlarge")), "AI130", [f"{P0}.fabric"]),
    ("efa on onprem", build(ONPREM, (F0, {"name": "ib", "type": "efa"})), "AI131", [f"{F0}.type"]),
    ("infiniband on aws", build(AWS, (f"{F0}.type", "infiniband")), "AI132", [f"{F0}.type"]),
    ("roce block on infiniband", build(ONPREM, (f"{F0}.roce", {"dscp": 26})), "AI133", [f"{F0}.roce"]),
    (
        "infiniband block on efa",
        build(AWS, (f"{F0}.infiniband", {"sharp": True})),
        "AI133",
        [f"{F0}.infiniband"],
    ),
    (
        "link above NIC",
        build(ONPREM, (f"{F0}.nic", "connectx-7"), (f"{F0}.linkGbps", 800)),
        "AI134",
        [f"{F0}.linkGbps"],
    ),
    ("link above EFA interface", build(AWS, (f"{F0}.linkGbps", 400)), "AI134", [f"{F0}.linkGbps"]),
    ("link at EFA interface rate", build(AWS, (f"{F0}.linkGbps", 100)), "AI134", []),
    ("rails agree", build(AWS, (f"{F0}.railsPerNode", 32)), "AI135", []),
    ("rails disagree", build(AWS, (f"{F0}.railsPerNode", 8)), "AI135", [f"{F0}.railsPerNode"]),
    ("bf3 on roce 400G", ROCE, "AI136", []),
    (
        "bf2 on 400G fabric",
        build(ROCE, ("spec.dpus.0.model", "bluefield-2")),
        "AI136",
        [f"{P1}.dpu"],
    ),
    (
        "dpu on aws",
        build(AWS, ("spec.dpus", [{"name": "bf3", "model": "bluefield-3"}]), (f"{P0}.dpu", "bf3")),
        "AI136",
        [f"{P0}.dpu"],
    ),
    ("tc carries dscp", ROCE, "AI137", []),
    ("tc mismatch", build(ROCE, (f"{F0}.roce.trafficClass", 96)), "AI137", [f"{F0}.roce.trafficClass"]),
    ("known NIC", build(ONPREM, (f"{F0}.nic", "connectx-7")), "AI138", []),
    ("unknown NIC", build(ONPREM, (f"{F0}.nic", "connectx7")), "AI138", [f"{F0}.nic"]),
    ("EFA NIC on IB", build(ONPREM, (f"{F0}.nic", "efa-v2")), "AI138", [f"{F0}.nic"]),
    ("one HCA per rail", build(ONPREM, (f"{F0}.hcas", [f"mlx5_{n}" for n in range(8)])), "AI139", []),
    ("too few HCAs", build(ONPREM, (f"{F0}.hcas", ["mlx5_0", "mlx5_1"])), "AI139", [f"{F0}.hcas"]),
    ("HCA twice", build(ONPREM, (f"{F0}.hcas", ["mlx5_0", "mlx5_0"])), "AI139", [f"{F0}.hcas"]),
]


@pytest.mark.parametrize(("data", "rule_id", "locs"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_fabric_rules(data: dict[str, Any], rule_id: str, locs: list[str]) -> None:
    assert_case(data, rule_id, locs)


def test_traffic_class_warning_is_a_warning_with_the_fix() -> None:
    from bp_fakes import problems

    (problem,) = problems(build(ROCE, (f"{F0}.roce.trafficClass", 96)), "AI137")
    assert problem.level == "warning"
    assert "trafficClass: 106" in problem.message
