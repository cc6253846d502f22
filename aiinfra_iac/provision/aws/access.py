"""How configure reaches AWS nodes: SSM Session Manager by default, or SSH through a bastion.

SSM needs no inbound port: the node role carries ``AmazonSSMManagedInstanceCore`` and the
nodes reach the SSM endpoints through the NAT gateway; Ansible connects with the
``amazon.aws.aws_ssm`` connection plugin or with SSH over an SSM session (``ProxyCommand aws
ssm start-session … AWS-StartSSHSession``)
(https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-getting-started-enable-ssh-connections.html).
``nodeAccess: ssh`` adds a key pair on every node and a small bastion in the public subnet that
admits SSH only from ``bastionCidr``; the node security group admits SSH only from the bastion.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from aiinfra_iac.deployment import NodeRecord, Ssh, Ssm
from aiinfra_iac.errors import MissingToolError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.aws.launch import UBUNTU_SSM

AccessMethod = Literal["ssm", "ssh"]
BASTION_TYPE = "t3.micro"
BASTION_USER = "ubuntu"

SSM_TOOLS = {
    "aws": "install the AWS CLI v2 (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html)",
    "session-manager-plugin": "install the Session Manager plugin "
    "(https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html)",
}


def access_method(plan: ClusterPlan) -> AccessMethod:
    return plan.provider.node_access or "ssm"


def require_access_tools(plan: ClusterPlan, which: Callable[[str], str | None] = shutil.which) -> None:
    """Exit 2 (MissingToolError, one sentence) when this machine lacks what reaching the nodes needs:
    the aws CLI (EKS tokens, SSM sessions) and, for SSM, the session-manager-plugin."""
    if plan.provider.type != "aws":
        return
    needed = ["aws"]
    if access_method(plan) == "ssm":
        needed.append("session-manager-plugin")
    for tool in needed:
        if which(tool) is None:
            raise MissingToolError(tool, SSM_TOOLS[tool])


def node_records(
    plan: ClusterPlan,
    addresses: Mapping[str, str],
    instance_ids: Mapping[str, str],
    bastion_address: str | None = None,
) -> list[NodeRecord]:
    """The deployment record's nodes: per node an ``Ssm`` target (instance ID) or ``Ssh`` via the bastion."""
    method = access_method(plan)
    region = plan.provider.region or ""
    records: list[NodeRecord] = []
    for pool in plan.pools:
        for host in pool.hosts:
            address = addresses.get(host)
            instance = instance_ids.get(host)
            if method == "ssm" and instance:
                access: Ssm | Ssh = Ssm(instance_id=instance, region=region, profile=plan.provider.profile)
            elif method == "ssh" and address:
                bastion = f"{BASTION_USER}@{bastion_address}" if bastion_address else None
                access = Ssh(host=address, user=BASTION_USER, bastion=bastion)
            else:
                continue
            records.append(NodeRecord(name=host, pool=pool.name, access=access, private_address=address))
    return records


@dataclass(frozen=True)
class BastionArgs:
    vpc_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    node_security_group_id: pulumi.Input[str]
    instance_profile_name: pulumi.Input[str]
    key_name: str
    allowed_cidr: str
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
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-ssh-out",
            security_group_id=self.security_group.id,
            referenced_security_group_id=args.node_security_group_id,
            ip_protocol="tcp",
            from_port=22,
            to_port=22,
            description="SSH on to the nodes",
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-nodes-ssh-in",
            security_group_id=args.node_security_group_id,
            referenced_security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=22,
            to_port=22,
            description="SSH from the bastion",
            opts=child,
        )
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
