"""``EksControlPlane``: the EKS cluster, its role and a Kubernetes provider pointing at it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from aiinfra_iac.plan.eks_endpoint import EndpointAccess
from aiinfra_iac.provision.aws.iam import EKS_CLUSTER_POLICY, ServiceRole, ServiceRoleArgs


def kubeconfig(
    cluster_name: str, endpoint: str, certificate_authority: str, region: str, profile: str | None = None
) -> str:
    """A kubeconfig that authenticates with ``aws eks get-token`` (no secret stored in the state),
    with the same profile and region the engine uses, so the token is the engine's identity."""
    args = ["eks", "get-token", "--cluster-name", cluster_name, "--region", region]
    if profile:
        args += ["--profile", profile]
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority},
                }
            ],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": args,
                        }
                    },
                }
            ],
        },
        sort_keys=True,
    )


def public_cidrs(
    access: EndpointAccess, nat_public_ip: pulumi.Input[str] | None
) -> list[pulumi.Input[str]] | None:
    """``public_access_cidrs`` of a public endpoint: the blueprint's CIDRs, plus the NAT gateway's address
    when the endpoint is public only (nodes in the private subnet then reach it through the NAT)."""
    if not access.public:
        return None
    cidrs: list[pulumi.Input[str]] = list(access.public_cidrs)
    if not access.private and nat_public_ip is not None:
        cidrs.append(pulumi.Output.from_input(nat_public_ip).apply(lambda ip: f"{ip}/32"))
    return cidrs


@dataclass(frozen=True)
class EksControlPlaneArgs:
    cluster_name: str
    version: str
    region: str
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    profile: str | None = None
    endpoint_access: EndpointAccess = field(default_factory=lambda: EndpointAccess("private", ()))
    """Private by default (:mod:`aiinfra_iac.plan.eks_endpoint`)."""
    nat_public_ip: pulumi.Input[str] | None = None
    """The NAT gateway's address: added to a public-only endpoint's CIDRs so the nodes can join
    (https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html)."""
    tags: Mapping[str, str] = field(default_factory=dict)


class EksControlPlane(pulumi.ComponentResource):
    TYPE = "aiinfra:aws:EksControlPlane"

    def __init__(
        self, name: str, args: EksControlPlaneArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = ServiceRole(
            f"{name}-cluster",
            ServiceRoleArgs(
                service="eks.amazonaws.com", managed_policies=[EKS_CLUSTER_POLICY], tags=args.tags
            ),
            opts=child,
        )
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=args.cluster_name,
            version=args.version,
            role_arn=role.role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.subnet_ids),
                security_group_ids=[args.security_group_id],
                endpoint_private_access=args.endpoint_access.private,
                endpoint_public_access=args.endpoint_access.public,
                public_access_cidrs=public_cidrs(args.endpoint_access, args.nat_public_ip),
            ),
            access_config={
                "authentication_mode": "API_AND_CONFIG_MAP",
                "bootstrap_cluster_creator_admin_permissions": True,
            },
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, depends_on=role.attachments),
        )
        self.kubeconfig = pulumi.Output.all(self.cluster.endpoint, self.cluster.certificate_authority).apply(
            lambda values: kubeconfig(
                args.cluster_name,
                str(values[0]),
                str((values[1] or {}).get("data", "")),
                args.region,
                args.profile,
            )
        )
        self.provider = k8s.Provider(f"{name}-k8s", kubeconfig=self.kubeconfig, opts=child)
        self.register_outputs({"clusterName": self.cluster.name, "endpoint": self.cluster.endpoint})
