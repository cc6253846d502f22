"""``NodePool``: one pool's placement group, launch template and its nodes.

The nodes are an EKS managed node group (``scheduler.type: kubernetes``), an Auto Scaling
group (Slurm/Ray compute pools: the fleet is one resource however many nodes it has) or
plain instances named after the plan's hosts (controller and login pools, whose
addresses the scheduler configuration needs to know).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from aiinfra_iac.blueprint.models import HostTuning
from aiinfra_iac.plan.capacity_schedule import block_schedule, initial_size
from aiinfra_iac.plan.model import PoolPlan
from aiinfra_iac.provision.aws.launch import (
    LaunchMode,
    eks_capacity_type,
    launch_template_args,
    uses_efa,
    wants_placement_group,
)
from aiinfra_iac.provision.kubernetes.topology import node_labels

EKS_TAINT_EFFECTS = {
    "NoSchedule": "NO_SCHEDULE",
    "PreferNoSchedule": "PREFER_NO_SCHEDULE",
    "NoExecute": "NO_EXECUTE",
}


def host_addresses(
    hosts: Sequence[str], ips: Sequence[str] | None, *, keep_order: bool = False
) -> dict[str, str]:
    """Node name → private IP. Auto Scaling instances have no names, so the plan's ``<pool>-<n>``
    names go to the IPs in sorted order (stable while the group does not change)."""
    found = [ip for ip in (ips or []) if ip]
    ordered = found if keep_order else sorted(found, key=lambda ip: tuple(int(x) for x in ip.split(".")))
    return dict(zip(hosts, ordered, strict=False))


def _first_asg_name(resources: Any) -> str:
    """The Auto Scaling group EKS created for a managed node group (``resources[0].autoscalingGroups[0]``)."""
    for resource in resources or []:
        groups = getattr(resource, "autoscaling_groups", None)
        if groups is None and isinstance(resource, dict):
            groups = resource.get("autoscaling_groups") or resource.get("autoscalingGroups")
        for group in groups or []:
            name = getattr(group, "name", None) or (group.get("name") if isinstance(group, dict) else None)
            if name:
                return str(name)
    return ""


def pool_mode(pool: PoolPlan, scheduler: str) -> LaunchMode:
    if scheduler == "kubernetes":
        return "eks-node-group"
    return "autoscaling-group" if pool.role == "compute" else "instances"


@dataclass(frozen=True)
class NodePoolArgs:
    pool: PoolPlan
    mode: LaunchMode
    subnet_id: pulumi.Input[str]
    security_group_id: pulumi.Input[str]
    instance_profile_arn: pulumi.Input[str] | None = None
    node_role_arn: pulumi.Input[str] | None = None
    eks_cluster_name: pulumi.Input[str] | None = None
    eks_release_version: pulumi.Input[str] | None = None
    """Pinned EKS AMI release of the node group (from the pins table); None: EKS's latest."""
    host_tuning: HostTuning | None = None
    """``tuning.host``: rendered into EKS nodes' user data (sysctls, hugepages, THP)."""
    key_name: str | None = None
    """EC2 key pair for SSH access (provider nodeAccess: ssh); None with SSM."""
    tags: Mapping[str, str] = field(default_factory=dict)


class NodePool(pulumi.ComponentResource):
    TYPE = "aiinfra:aws:NodePool"

    def __init__(self, name: str, args: NodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        pool = args.pool
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "aiinfra:pool": pool.name}

        self.placement_group: aws.ec2.PlacementGroup | None = None
        if wants_placement_group(pool):
            self.placement_group = aws.ec2.PlacementGroup(
                f"{name}-pg", strategy="cluster", tags=tags, opts=child
            )

        self.launch_template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            **launch_template_args(
                pool,
                mode=args.mode,
                security_group_id=args.security_group_id,
                subnet_id=args.subnet_id,
                placement_group=self.placement_group.name if self.placement_group else None,
                instance_profile_arn=args.instance_profile_arn if args.mode != "eks-node-group" else None,
                tags=tags,
                key_name=args.key_name,
                host=args.host_tuning,
            ),
            opts=child,
        )
        template_id = self.launch_template.id
        template_version = self.launch_template.latest_version.apply(str)
        outputs: dict[str, object] = {"launchTemplateId": self.launch_template.id}
        self.addresses: pulumi.Output[dict[str, str]] = pulumi.Output.from_input({})
        self.instance_ids: pulumi.Output[dict[str, str]] = pulumi.Output.from_input({})
        """Node name → EC2 instance ID: the SSM target of each node."""
        size = initial_size(pool)
        asg_name: pulumi.Input[str] | None = None

        if args.mode == "eks-node-group":
            self.node_group = aws.eks.NodeGroup(
                f"{name}-ng",
                cluster_name=args.eks_cluster_name,
                node_group_name=pool.name,
                node_role_arn=args.node_role_arn,
                subnet_ids=[args.subnet_id],
                scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                    desired_size=size, min_size=size, max_size=max(pool.count, 1)
                ),
                release_version=args.eks_release_version if not pool.image_id else None,
                launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template_id, version=template_version),
                capacity_type=eks_capacity_type(pool),
                ami_type=None
                if pool.image_id
                else ("AL2023_x86_64_NVIDIA" if pool.gpu else "AL2023_x86_64_STANDARD"),
                labels=self.placement_group.name.apply(lambda group: node_labels(pool, group))
                if self.placement_group
                else node_labels(pool),
                taints=[
                    aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value, effect=EKS_TAINT_EFFECTS[t.effect])
                    for t in pool.taints
                ],
                tags=tags,
                opts=child,
            )
            outputs["nodeGroupArn"] = self.node_group.arn
            asg_name = self.node_group.resources.apply(_first_asg_name)
        elif args.mode == "autoscaling-group":
            self.group = aws.autoscaling.Group(
                f"{name}-asg",
                desired_capacity=size,
                min_size=size,
                max_size=pool.count,
                vpc_zone_identifiers=[args.subnet_id],
                launch_template=aws.autoscaling.GroupLaunchTemplateArgs(
                    id=template_id, version=template_version
                ),
                wait_for_capacity_timeout="30m",
                tags=[
                    aws.autoscaling.GroupTagArgs(key=k, value=v, propagate_at_launch=True)
                    for k, v in sorted(tags.items())
                ],
                opts=child,
            )
            outputs["autoScalingGroup"] = self.group.name
            asg_name = self.group.name
            running = aws.ec2.get_instances_output(
                instance_tags={"aiinfra:cluster": tags.get("aiinfra:cluster", ""), "aiinfra:pool": pool.name},
                instance_state_names=["running"],
                opts=pulumi.InvokeOutputOptions(depends_on=[self.group]),
            )
            self.addresses = running.apply(lambda result: host_addresses(pool.hosts, result.private_ips))
            self.instance_ids = running.apply(
                lambda result: dict(
                    zip(pool.hosts, _ids_by_address(result.ids, result.private_ips), strict=False)
                )
            )
        else:
            self.instances = [
                aws.ec2.Instance(
                    f"{name}-{host}",
                    launch_template=aws.ec2.InstanceLaunchTemplateArgs(
                        id=template_id, version=template_version
                    ),
                    subnet_id=None if uses_efa(pool) else args.subnet_id,
                    tags={**tags, "Name": host},
                    opts=child,
                )
                for host in pool.hosts
            ]
            self.addresses = pulumi.Output.all(*[i.private_ip for i in self.instances]).apply(
                lambda ips: host_addresses(pool.hosts, ips, keep_order=True)
            )
            self.instance_ids = pulumi.Output.all(*[i.id for i in self.instances]).apply(
                lambda ids: dict(zip(pool.hosts, ids, strict=False))
            )
        self.schedules = [
            aws.autoscaling.Schedule(
                f"{name}-{step['action']}",
                scheduled_action_name=f"aiinfra-{pool.name}-{step['action']}",
                autoscaling_group_name=asg_name,
                start_time=step["start_time"],
                min_size=step["size"],
                max_size=max(pool.count, 1),
                desired_capacity=step["size"],
                opts=child,
            )
            for step in (block_schedule(pool) if asg_name is not None else [])
        ]
        outputs["addresses"] = self.addresses
        outputs["instanceIds"] = self.instance_ids
        self.register_outputs(outputs)


def _ids_by_address(ids: Sequence[str] | None, ips: Sequence[str] | None) -> list[str]:
    """Instance IDs in the order :func:`host_addresses` hands out names (sorted private IP)."""
    pairs = [(ip, i) for ip, i in zip(ips or [], ids or [], strict=False) if ip]
    pairs.sort(key=lambda pair: tuple(int(x) for x in pair[0].split(".")))
    return [i for _, i in pairs]
