"""``EksManagedAddons``: the EKS Pod Identity agent and the EBS / FSx CSI drivers as EKS add-ons.

Versions come from the AWS pins table (``catalog/data/aws_pins.yaml``). Each CSI controller gets
its AWS permissions from its own role through EKS Pod Identity, not from the node role
(https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html), and its node DaemonSet
tolerates every taint so volumes mount on tainted GPU pools too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from aiinfra_iac.catalog.aws_pins import load_aws_pins
from aiinfra_iac.provision.aws.iam import POD_IDENTITY_SERVICE, ServiceRole, ServiceRoleArgs

POD_IDENTITY_AGENT = "eks-pod-identity-agent"
EBS_CSI = "aws-ebs-csi-driver"
FSX_CSI = "aws-fsx-csi-driver"
NODE_TOLERATES_ALL = json.dumps({"node": {"tolerateAllTaints": True}}, sort_keys=True)
"""Both drivers' add-on schemas take ``node.tolerateAllTaints`` (their Helm charts' value)."""


@dataclass(frozen=True)
class EksManagedAddonsArgs:
    cluster_name: pulumi.Input[str]
    fsx: bool
    """Install the FSx for Lustre CSI driver (the blueprint has fsx-lustre storage)."""
    tags: Mapping[str, str] = field(default_factory=dict)


def addon_names(fsx: bool) -> list[str]:
    return [POD_IDENTITY_AGENT, EBS_CSI, *([FSX_CSI] if fsx else [])]


class EksManagedAddons(pulumi.ComponentResource):
    TYPE = "aiinfra:aws:EksManagedAddons"

    def __init__(
        self, name: str, args: EksManagedAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        pins = load_aws_pins()
        child = pulumi.ResourceOptions(parent=self)
        agent_pin = pins.addon(POD_IDENTITY_AGENT)
        agent = aws.eks.Addon(
            f"{name}-{POD_IDENTITY_AGENT}",
            cluster_name=args.cluster_name,
            addon_name=POD_IDENTITY_AGENT,
            addon_version=agent_pin.version,
            resolve_conflicts_on_create="OVERWRITE",
            tags=dict(args.tags),
            opts=child,
        )
        self.addons: dict[str, aws.eks.Addon] = {POD_IDENTITY_AGENT: agent}
        for addon in addon_names(args.fsx)[1:]:
            pin = pins.addon(addon)
            assert pin.policy and pin.service_account, f"{addon}: pins table lacks policy/service_account"
            role = ServiceRole(
                f"{name}-{addon}",
                ServiceRoleArgs(service=POD_IDENTITY_SERVICE, managed_policies=[pin.policy], tags=args.tags),
                opts=child,
            )
            depends: Sequence[pulumi.Resource] = [agent, *role.attachments]
            self.addons[addon] = aws.eks.Addon(
                f"{name}-{addon}",
                cluster_name=args.cluster_name,
                addon_name=addon,
                addon_version=pin.version,
                configuration_values=NODE_TOLERATES_ALL,
                pod_identity_associations=[
                    aws.eks.AddonPodIdentityAssociationArgs(
                        role_arn=role.role.arn, service_account=pin.service_account
                    )
                ],
                resolve_conflicts_on_create="OVERWRITE",
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends)),
            )
        self.register_outputs({"addons": {k: v.addon_version for k, v in self.addons.items()}})
