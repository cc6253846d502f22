"""``EksControlPlane``: the EKS cluster, its role and a Kubernetes provider pointing at it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from aiinfra_iac.provision.aws.iam import EKS_CLUSTER_POLICY, ServiceRole, ServiceRoleArgs

ENDPOINT_ACCESS = {
    "private": (True, False),
    "public": (False, True),
    "public-and-private": (True, True),
}
"""endpointAccess -> (endpoint_private_access, endpoint_public_access)
(https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html)."""


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


@dataclass(frozen=True)
class EksControlPlaneArgs:
    cluster_name: str
    version: str
    region: str
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    profile: str | None = None
    endpoint_access: str = "public-and-private"
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
            vpc_config={
                "subnet_ids": list(args.subnet_ids),
                "security_group_ids": [args.security_group_id],
                "endpoint_private_access": ENDPOINT_ACCESS[args.endpoint_access][0],
                "endpoint_public_access": ENDPOINT_ACCESS[args.endpoint_access][1],
            },
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
