"""Hourly cost: catalog price x count on AWS, notes for spot / capacity blocks, 0 elsewhere."""

from __future__ import annotations

import pytest

from aiinfra_iac.catalog import load_catalog
from aiinfra_iac.plan import resolve

from ._blueprints import blueprint, local_cpu, onprem_ib


def test_aws_cost_is_price_times_count() -> None:
    catalog = load_catalog().instance_types
    bp = blueprint(
        {"type": "aws", "region": "us-east-1"},
        [
            {
                "name": "train",
                "instanceType": "p5.48xlarge",
                "count": 16,
                "capacity": {"type": "capacity-block", "reservationId": "cr-0123456789abcdef0"},
            },
            {"name": "head", "role": "controller", "instanceType": "m6i.xlarge", "count": 1},
        ],
    )
    plan = resolve(bp)
    expected = 16 * catalog["p5.48xlarge"].price_usd_hour + catalog["m6i.xlarge"].price_usd_hour
    assert plan.summary.estimated_hourly_usd == pytest.approx(expected, abs=0.01)
    assert plan.pool("train").hourly_usd_per_node == catalog["p5.48xlarge"].price_usd_hour
    assert "capacity blocks" in plan.pool("train").cost_note
    assert plan.pool("head").cost_note.startswith("on-demand")
    assert plan.summary.nodes == 17 and plan.summary.gpus == 128


def test_spot_is_noted() -> None:
    bp = blueprint(
        {"type": "aws", "region": "us-east-1"},
        [{"name": "dev", "instanceType": "g5.xlarge", "count": 2, "capacity": {"type": "spot"}}],
    )
    pool = resolve(bp).pool("dev")
    assert (
        "spot" in pool.cost_note
        and pool.hourly_usd_per_node == load_catalog().instance_types["g5.xlarge"].price_usd_hour
    )


def test_onprem_and_local_cost_nothing() -> None:
    for plan in (resolve(onprem_ib()), resolve(local_cpu())):
        assert plan.summary.estimated_hourly_usd == 0
        assert all(p.hourly_usd_per_node is None and p.cost_note.startswith("no price") for p in plan.pools)


def test_eks_system_node_group_is_priced_like_the_other_pools() -> None:
    """Every blueprint pool tainted on EKS: `up` adds the untainted system group, and AWS bills it."""
    catalog = load_catalog().instance_types
    gpu_taint = [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]
    pools = [{"name": "train", "instanceType": "p5.48xlarge", "count": 2, "taints": gpu_taint}]
    bp = blueprint({"type": "aws", "region": "us-east-1"}, pools, scheduler={"type": "kubernetes"})
    plan = resolve(bp)
    system = 2 * catalog["m6i.xlarge"].price_usd_hour  # systemNodes 2 x systemInstanceType m6i.xlarge
    expected = 2 * catalog["p5.48xlarge"].price_usd_hour + system
    assert plan.summary.estimated_hourly_usd == pytest.approx(expected, abs=0.01)
    assert plan.summary.nodes == 2  # the blueprint's nodes; the system group shows in the review

    from aiinfra_iac.plan.review import review

    rows = {p["pool"]: p for p in review(plan)["pools"]}
    assert rows["aiinfra-system"]["role"] == "system"
    assert rows["aiinfra-system"]["hourlyUSD"] == pytest.approx(system, abs=0.01)
    assert rows["aiinfra-system"]["costNote"].startswith("on-demand")
    # an untainted pool of its own: no system group, nothing added
    untainted = blueprint(
        {"type": "aws", "region": "us-east-1"},
        [*pools, {"name": "cpu", "instanceType": "m6i.xlarge", "count": 1}],
        scheduler={"type": "kubernetes"},
    )
    assert [p["pool"] for p in review(resolve(untainted))["pools"]] == ["train", "cpu"]
