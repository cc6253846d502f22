"""``NodeIdentity`` (node role + instance profile) and ``ServiceRole`` (e.g. the EKS cluster role)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

AWS_MANAGED = "arn:aws:iam::aws:policy/"
SSM_CORE = AWS_MANAGED + "AmazonSSMManagedInstanceCore"
EKS_NODE_POLICIES = (
    # https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
    AWS_MANAGED + "AmazonEKSWorkerNodePolicy",
    AWS_MANAGED + "AmazonEKS_CNI_Policy",
    AWS_MANAGED + "AmazonEC2ContainerRegistryReadOnly",
)
EKS_CLUSTER_POLICY = AWS_MANAGED + "AmazonEKSClusterPolicy"


POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"
"""EKS Pod Identity assumes roles with AssumeRole + TagSession
(https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html)."""


def assume_role_policy(service: str) -> str:
    action: str | list[str] = (
        ["sts:AssumeRole", "sts:TagSession"] if service == POD_IDENTITY_SERVICE else "sts:AssumeRole"
    )
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": action}],
        },
        sort_keys=True,
    )


def bucket_access_policy(bucket_arns: Sequence[str], retained_arns: Sequence[str] = ()) -> str:
    """Read/write on the cluster's own buckets only; no delete on buckets kept by ``down`` (``retain``:
    datasets and checkpoints), so a node or a pod on it cannot wipe them (versioning keeps overwrites)."""
    objects = [f"{arn}/*" for arn in bucket_arns]
    deletable = [f"{arn}/*" for arn in bucket_arns if arn not in set(retained_arns)]
    statements: list[dict[str, object]] = [
        {"Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": list(bucket_arns)},
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": objects},
    ]
    if deletable:
        statements.append({"Effect": "Allow", "Action": ["s3:DeleteObject"], "Resource": deletable})
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def _policy_suffix(arn: str) -> str:
    return arn.rsplit("/", 1)[-1].lower().replace("_", "-")


@dataclass(frozen=True)
class NodeIdentityArgs:
    managed_policies: Sequence[str]
    bucket_arns: Sequence[pulumi.Input[str]] = ()
    retained: Sequence[bool] = ()
    """Per entry of bucket_arns: the bucket is kept by ``down`` (no s3:DeleteObject for nodes)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class NodeIdentity(pulumi.ComponentResource):
    """The IAM role nodes run as, its policy attachments and its instance profile."""

    TYPE = "aiinfra:aws:NodeIdentity"

    def __init__(self, name: str, args: NodeIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            tags=dict(args.tags),
            opts=child,
        )
        for arn in args.managed_policies:
            aws.iam.RolePolicyAttachment(
                f"{name}-{_policy_suffix(arn)}", role=self.role.name, policy_arn=arn, opts=child
            )
        if args.bucket_arns:
            aws.iam.RolePolicy(
                f"{name}-buckets",
                role=self.role.id,
                policy=pulumi.Output.all(*args.bucket_arns).apply(
                    lambda arns: bucket_access_policy(
                        list(arns), [a for a, keep in zip(arns, args.retained, strict=False) if keep]
                    )
                ),
                opts=child,
            )
        self.instance_profile = aws.iam.InstanceProfile(
            f"{name}-profile", role=self.role.name, tags=dict(args.tags), opts=child
        )
        self.register_outputs({"roleArn": self.role.arn, "instanceProfileArn": self.instance_profile.arn})


@dataclass(frozen=True)
class ServiceRoleArgs:
    service: str
    managed_policies: Sequence[str]
    tags: Mapping[str, str] = field(default_factory=dict)


class ServiceRole(pulumi.ComponentResource):
    """A role an AWS service assumes (EKS control plane)."""

    TYPE = "aiinfra:aws:ServiceRole"

    def __init__(self, name: str, args: ServiceRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            assume_role_policy=assume_role_policy(args.service),
            tags=dict(args.tags),
            opts=child,
        )
        self.attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-{_policy_suffix(arn)}", role=self.role.name, policy_arn=arn, opts=child
            )
            for arn in args.managed_policies
        ]
        self.register_outputs({"roleArn": self.role.arn})
