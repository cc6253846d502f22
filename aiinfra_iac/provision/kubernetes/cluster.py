"""``ExistingCluster``: an existing Kubernetes cluster reached through a kubeconfig and context."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s

from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.kubernetes.addons import ClusterAddons, ClusterAddonsArgs


@dataclass(frozen=True)
class ExistingClusterArgs:
    plan: ClusterPlan


def kubeconfig_path(plan: ClusterPlan) -> str | None:
    """The blueprint's kubeconfig (``~`` expanded), else None: the provider then uses KUBECONFIG/~/.kube."""
    configured = plan.provider.kubeconfig
    return str(Path(os.path.expanduser(configured))) if configured else None


class ExistingCluster(pulumi.ComponentResource):
    """A Kubernetes provider for the blueprint's kubeconfig/context plus the add-ons the plan needs."""

    TYPE = "aiinfra:kubernetes:ExistingCluster"

    def __init__(
        self, name: str, args: ExistingClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(self.TYPE, name, None, opts)
        plan = args.plan
        self.provider = k8s.Provider(
            f"{name}-provider",
            kubeconfig=kubeconfig_path(plan),
            context=plan.provider.context,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.addons = ClusterAddons(
            f"{name}-addons",
            ClusterAddonsArgs(plan=plan, on_eks=False),
            opts=pulumi.ResourceOptions(parent=self, providers={"kubernetes": self.provider}),
        )
        self.register_outputs({"context": plan.provider.context or "", "addons": self.addons.urn})
