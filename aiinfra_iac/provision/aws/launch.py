"""Launch-template inputs for a pool: EFA interface layout, capacity targeting, image, metadata.

Pure functions (no resources) so the rules are easy to read and to test:

* network interfaces follow the catalog's ``interface_layout`` of the instance type, which
  records AWS's guidance: an ENA ``interface`` on card 0 device 0, then ``efa-only`` (or
  ``efa``) interfaces, one per network card — p5.48xlarge: 32 EFA interfaces
  (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html);
* capacity blocks need ``instanceMarketOptions.marketType = capacity-block`` and the
  reservation ID in ``capacityReservationSpecification``
  (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-blocks-launch.html);
* no cluster placement group with a capacity block: its instances are already placed
  close together in an UltraCluster, "so there is no need to use a cluster placement group"
  (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/capacity-blocks-using.html);
* no new placement group with a targeted reservation either: the instances must land where the
  reservation is, and ParallelCluster's validator rejects a reservation launched into another
  group (https://docs.aws.amazon.com/parallelcluster/latest/ug/launch-instances-odcr-v3.html);
  ``capacity.placementGroup`` names an existing group (the reservation's) to launch into;
* instance metadata: IMDSv2 only, hop limit 1, so containers on the pod network cannot reach
  the node role's credentials; the CSI drivers get theirs from EKS Pod Identity
  (https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html);
* EKS node groups: user data with nodeadm's RAID0 of local NVMe and the node tuning script
  (:mod:`aiinfra_iac.provision.aws.node_tuning`);
* an explicit root volume: gp3, encrypted, ``rootVolumeGiB`` (default 200 GiB: container images
  of training stacks run to tens of GiB).
"""

from __future__ import annotations

from typing import Any, Literal

import pulumi

from aiinfra_iac.blueprint.models import HostTuning
from aiinfra_iac.plan.model import PoolPlan
from aiinfra_iac.provision.aws.node_tuning import eks_user_data

LaunchMode = Literal["eks-node-group", "autoscaling-group", "instances"]

DLAMI_GPU_SSM = "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id"
"""Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04): driver, CUDA, EFA installer, NCCL
(https://docs.aws.amazon.com/dlami/latest/devguide/appendix-ami-release-notes.html)."""
UBUNTU_SSM = "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id"
"""Canonical's public SSM parameter for Ubuntu 22.04 (https://documentation.ubuntu.com/aws/)."""


def uses_efa(pool: PoolPlan) -> bool:
    return pool.fabric is not None and pool.fabric.type == "efa" and bool(pool.network_interfaces)


DEFAULT_ROOT_GIB = 200
ROOT_DEVICE = {"eks-node-group": "/dev/xvda", "ubuntu": "/dev/sda1"}
"""Root device of the default images: EKS AL2023 AMIs use /dev/xvda, Ubuntu (DLAMI, Canonical) /dev/sda1."""


def wants_placement_group(pool: PoolPlan) -> bool:
    """A new cluster placement group for EFA pools of more than one node, except on capacity blocks,
    with a targeted reservation, or where ``capacity.placementGroup`` names an existing group."""
    capacity = pool.capacity
    if capacity.type == "capacity-block" or capacity.reservation_id or capacity.placement_group:
        return False
    return uses_efa(pool) and pool.count > 1


def root_volume(pool: PoolPlan, mode: LaunchMode) -> list[dict[str, Any]]:
    """The root EBS volume of the default images; none for an ``imageId`` whose root device is unknown."""
    if pool.image_id:
        return []
    device = ROOT_DEVICE["eks-node-group"] if mode == "eks-node-group" else ROOT_DEVICE["ubuntu"]
    return [
        {
            "device_name": device,
            "ebs": {
                "volume_size": pool.root_volume_gib or DEFAULT_ROOT_GIB,
                "volume_type": "gp3",
                "encrypted": "true",
                "delete_on_termination": "true",
            },
        }
    ]


def image_id(pool: PoolPlan, mode: LaunchMode) -> str | None:
    """The pool's AMI; EKS picks its accelerated AMI itself (``amiType``) unless one is given."""
    if pool.image_id:
        return pool.image_id
    if mode == "eks-node-group":
        return None
    return "resolve:ssm:" + (DLAMI_GPU_SSM if pool.gpu else UBUNTU_SSM)


def network_interfaces(
    pool: PoolPlan, security_group_id: pulumi.Input[str], subnet_id: pulumi.Input[str] | None
) -> list[dict[str, Any]]:
    """One entry per slot of the instance type's documented layout."""
    out: list[dict[str, Any]] = []
    for slot in pool.network_interfaces:
        interface: dict[str, Any] = {
            "network_card_index": slot.network_card_index,
            "device_index": slot.device_index,
            "interface_type": slot.kind,
            "security_groups": [security_group_id],
            "delete_on_termination": "true",
        }
        if subnet_id is not None:
            interface["subnet_id"] = subnet_id
        out.append(interface)
    return out


def capacity_options(pool: PoolPlan, mode: LaunchMode) -> dict[str, Any]:
    """Market options and reservation targeting for the pool's ``capacity``."""
    capacity = pool.capacity
    if capacity.type == "capacity-block":
        return {
            "instance_market_options": {"market_type": "capacity-block"},
            "capacity_reservation_specification": {
                "capacity_reservation_target": {"capacity_reservation_id": capacity.reservation_id}
            },
        }
    if capacity.type == "reserved":
        if capacity.reservation_id:
            return {
                "capacity_reservation_specification": {
                    "capacity_reservation_target": {"capacity_reservation_id": capacity.reservation_id}
                }
            }
        return {"capacity_reservation_specification": {"capacity_reservation_preference": "open"}}
    if capacity.type == "spot" and mode != "eks-node-group":
        # EKS managed node groups take spot from capacityType and refuse market options here
        return {
            "instance_market_options": {
                "market_type": "spot",
                "spot_options": {"instance_interruption_behavior": "terminate"},
            }
        }
    return {}


def eks_capacity_type(pool: PoolPlan) -> str:
    """``capacityType`` of an EKS managed node group (ON_DEMAND | SPOT | CAPACITY_BLOCK)."""
    return {"spot": "SPOT", "capacity-block": "CAPACITY_BLOCK"}.get(pool.capacity.type, "ON_DEMAND")


def launch_template_args(
    pool: PoolPlan,
    *,
    mode: LaunchMode,
    security_group_id: pulumi.Input[str],
    subnet_id: pulumi.Input[str],
    placement_group: pulumi.Input[str] | None,
    instance_profile_arn: pulumi.Input[str] | None,
    tags: dict[str, str],
    key_name: str | None = None,
    host: HostTuning | None = None,
) -> dict[str, Any]:
    """Keyword arguments of ``aws.ec2.LaunchTemplate`` for ``pool``."""
    args: dict[str, Any] = {
        "instance_type": pool.instance_type,
        "metadata_options": {
            "http_tokens": "required",
            "http_endpoint": "enabled",
            "http_put_response_hop_limit": 1,
        },
        "tag_specifications": [
            {"resource_type": "instance", "tags": tags},
            {"resource_type": "volume", "tags": tags},
        ],
        "tags": tags,
        "update_default_version": True,
    }
    ami = image_id(pool, mode)
    if ami:
        args["image_id"] = ami
    volumes = root_volume(pool, mode)
    if volumes:
        args["block_device_mappings"] = volumes
    if key_name:
        args["key_name"] = key_name
    user_data = eks_user_data(pool, host or HostTuning()) if mode == "eks-node-group" else None
    if user_data:
        args["user_data"] = user_data
    if instance_profile_arn is not None:
        args["iam_instance_profile"] = {"arn": instance_profile_arn}
    if uses_efa(pool):
        # instances launched from the template get their subnet here; ASGs and EKS set it themselves
        args["network_interfaces"] = network_interfaces(
            pool, security_group_id, subnet_id if mode == "instances" else None
        )
    else:
        args["vpc_security_group_ids"] = [security_group_id]
    if placement_group is None and pool.capacity.placement_group:
        placement_group = pool.capacity.placement_group
    if placement_group is not None:
        args["placement"] = {"group_name": placement_group}
    args.update(capacity_options(pool, mode))
    return args
