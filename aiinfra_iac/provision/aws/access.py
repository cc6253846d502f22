"""``Bastion``: the jump host of ``nodeAccess: ssh`` (SSH in from ``bastionCidr``, on to the nodes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from aiinfra_iac.provision.aws.launch import UBUNTU_SSM

BASTION_TYPE = "t3.micro"


@dataclass(frozen=True)
class BastionArgs:
    vpc_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    node_security_group_id: pulumi.Input[str]
    instance_profile_name: pulumi.Input[str]
    key_name: str
    allowed_cidr: str
    eks_api: bool = False
    """Also allow HTTPS from the bastion to the EKS API endpoint's interfaces (which carry the node
    security group), so kubectl and ``up`` can run there against a private endpoint
    (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class Bastion(pulumi.ComponentResource):
    """A jump host for ``nodeAccess: ssh``: SSH in from ``allowed_cidr`` only, on to the nodes only."""

    TYPE = "aiinfra:aws:Bastion"

    def __init__(self, name: str, args: BastionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = {**args.tags, "Name": name}
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Bastion: SSH from the operators",
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-ssh-in",
            security_group_id=self.security_group.id,
            cidr_ipv4=args.allowed_cidr,
            ip_protocol="tcp",
            from_port=22,
            to_port=22,
            description="SSH from bastionCidr",
            opts=child,
        )
        # resource names as they were before this helper, so a deployed stack keeps its rules
        self._to_nodes((f"{name}-ssh-out", f"{name}-nodes-ssh-in"), 22, "SSH", args, child)
        if args.eks_api:
            names = (f"{name}-eks-api-out", f"{name}-eks-api-in")
            self._to_nodes(names, 443, "EKS API (private endpoint)", args, child)
        self.instance = aws.ec2.Instance(
            f"{name}-host",
            instance_type=BASTION_TYPE,
            ami="resolve:ssm:" + UBUNTU_SSM,
            subnet_id=args.subnet_id,
            vpc_security_group_ids=[self.security_group.id],
            key_name=args.key_name,
            iam_instance_profile=args.instance_profile_name,
            associate_public_ip_address=True,
            metadata_options={"http_tokens": "required", "http_put_response_hop_limit": 1},
            root_block_device={"volume_size": 20, "volume_type": "gp3", "encrypted": True},
            tags=tags,
            opts=child,
        )
        self.register_outputs({"publicIp": self.instance.public_ip})

    def _to_nodes(
        self, names: tuple[str, str], port: int, what: str, args: BastionArgs, child: pulumi.ResourceOptions
    ) -> None:
        """TCP ``port`` from the bastion to the node security group: its egress and the nodes' ingress."""
        aws.vpc.SecurityGroupEgressRule(
            names[0],
            security_group_id=self.security_group.id,
            referenced_security_group_id=args.node_security_group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{what} on to the nodes",
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            names[1],
            security_group_id=args.node_security_group_id,
            referenced_security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"{what} from the bastion",
            opts=child,
        )
