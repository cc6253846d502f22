"""Launch-template rules as pure functions: EFA layout, capacity targeting, placement, images."""

from __future__ import annotations

from typing import Any

import pytest

from aiinfra_iac.blueprint.models import Capacity
from aiinfra_iac.plan.model import PoolPlan
from aiinfra_iac.provision.aws.launch import (
    DLAMI_GPU_SSM,
    LaunchMode,
    capacity_options,
    eks_capacity_type,
    image_id,
    launch_template_args,
    network_interfaces,
    wants_placement_group,
)

from .plans import P4D_LAYOUT, P5_LAYOUT, fabric, pool


def p5(**overrides: Any) -> PoolPlan:
    values: dict[str, Any] = {
        "instance_type": "p5.48xlarge",
        "fabric": fabric("efa", 32, 100),
        "network_interfaces": P5_LAYOUT,
        "count": 4,
    }
    values.update(overrides)
    return pool("train", **values)


def test_p5_gets_32_efa_interfaces_one_per_network_card() -> None:
    interfaces = network_interfaces(p5(), "sg-1", None)
    efa = [i for i in interfaces if i["interface_type"] in ("efa", "efa-only")]
    assert len(efa) == 32
    assert sorted({i["network_card_index"] for i in efa}) == list(range(32))
    primary = [i for i in interfaces if (i["network_card_index"], i["device_index"]) == (0, 0)]
    assert len(primary) == 1 and primary[0]["interface_type"] == "interface"
    assert all(i["security_groups"] == ["sg-1"] and "subnet_id" not in i for i in interfaces)


def test_p4d_layout_has_4_efa_interfaces() -> None:
    p4d = pool(
        "train", instance_type="p4d.24xlarge", fabric=fabric("efa", 4, 100), network_interfaces=P4D_LAYOUT
    )
    assert len(network_interfaces(p4d, "sg", "subnet-1")) == 4
    assert all(i["subnet_id"] == "subnet-1" for i in network_interfaces(p4d, "sg", "subnet-1"))


def test_capacity_block_targets_the_reservation_with_market_type() -> None:
    options = capacity_options(
        p5(capacity=Capacity(type="capacity-block", reservation_id="cr-0123456789abcdef0")), "instances"
    )
    assert options["instance_market_options"] == {"market_type": "capacity-block"}
    target = options["capacity_reservation_specification"]["capacity_reservation_target"]
    assert target == {"capacity_reservation_id": "cr-0123456789abcdef0"}


@pytest.mark.parametrize(
    ("capacity", "mode", "expected"),
    [
        (Capacity(type="on-demand"), "autoscaling-group", {}),
        (
            Capacity(type="reserved", reservation_id="cr-0123456789abcdef0"),
            "instances",
            {
                "capacity_reservation_specification": {
                    "capacity_reservation_target": {"capacity_reservation_id": "cr-0123456789abcdef0"}
                }
            },
        ),
        (
            Capacity(type="reserved"),
            "instances",
            {"capacity_reservation_specification": {"capacity_reservation_preference": "open"}},
        ),
        (Capacity(type="spot"), "eks-node-group", {}),
    ],
)
def test_capacity_options_per_type(capacity: Capacity, mode: LaunchMode, expected: dict[str, object]) -> None:
    assert capacity_options(p5(capacity=capacity), mode) == expected


def test_spot_outside_eks_uses_market_options() -> None:
    options = capacity_options(p5(capacity=Capacity(type="spot")), "autoscaling-group")
    assert options["instance_market_options"]["market_type"] == "spot"


@pytest.mark.parametrize(
    ("kind", "expected"), [("spot", "SPOT"), ("capacity-block", "CAPACITY_BLOCK"), ("on-demand", "ON_DEMAND")]
)
def test_eks_capacity_type(kind: str, expected: str) -> None:
    capacity = Capacity(
        type=kind, reservation_id="cr-0123456789abcdef0" if kind == "capacity-block" else None
    )
    assert eks_capacity_type(p5(capacity=capacity)) == expected


def test_placement_group_only_for_multi_node_efa_pools_without_capacity_block() -> None:
    assert wants_placement_group(p5())
    assert not wants_placement_group(
        p5(capacity=Capacity(type="capacity-block", reservation_id="cr-0123456789abcdef0"))
    )
    assert not wants_placement_group(p5(count=1))
    assert not wants_placement_group(pool("cpu", gpu=None, gpu_numa=()))


def test_images_dlami_for_gpu_pools_and_eks_picks_its_own() -> None:
    assert image_id(p5(), "autoscaling-group") == "resolve:ssm:" + DLAMI_GPU_SSM
    assert image_id(p5(), "eks-node-group") is None
    assert image_id(p5(image_id="ami-0123"), "eks-node-group") == "ami-0123"


def test_non_efa_pool_uses_security_group_ids_instead_of_interfaces() -> None:
    cpu = pool("head", role="controller", count=1, gpu=None, gpu_numa=(), instance_type="m7i.xlarge")
    args = launch_template_args(
        cpu,
        mode="instances",
        security_group_id="sg",
        subnet_id="sn",
        placement_group=None,
        instance_profile_arn="arn:profile",
        tags={"a": "b"},
    )
    assert "network_interfaces" not in args and args["vpc_security_group_ids"] == ["sg"]
    assert args["iam_instance_profile"] == {"arn": "arn:profile"}
    assert args["metadata_options"]["http_tokens"] == "required"
