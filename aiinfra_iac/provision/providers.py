"""The provider interface and the explicit registry of the four providers.

Every provider answers the same questions: does it create cloud resources, what Pulumi
program instantiates its components, and what does it manage in one sentence. The
registry is a plain dict (no lookup by module name); ``tests/provision/test_providers.py``
checks that each entry conforms and that every ``provider.type`` of the blueprint model has
one.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.sandbox import SUITE as SANDBOX_SUITE

ADDRESSES_OUTPUT = "addresses"
STORAGE_ENDPOINTS_OUTPUT = "storageEndpoints"
INSTANCE_IDS_OUTPUT = "instanceIds"
"""aws: node name -> EC2 instance ID (the SSM target); see provision.aws.access.node_records."""
NODE_ACCESS_OUTPUT = "nodeAccess"
"""aws: {method: ssm|ssh, region, profile, bastion}: how configure reaches the nodes."""
"""fsx-lustre name -> {dnsName, mountName}: what the configure stage mounts."""


@runtime_checkable
class ProvisionProvider(Protocol):
    """What the engine, ``plan`` and ``up`` need from a provider."""

    name: str
    creates_cloud_resources: bool
    """False where ``up`` has nothing to provision (on-prem hosts, the local machine)."""

    def build(self, plan: ClusterPlan) -> None:
        """Instantiate the provider's components; runs inside a Pulumi program (real or mocked)."""

    def describe(self, plan: ClusterPlan) -> str:
        """One sentence on what provisioning does for this plan."""


class AwsProvider:
    name = "aws"
    creates_cloud_resources = True

    def build(self, plan: ClusterPlan) -> None:
        import pulumi

        from aiinfra_iac.provision.aws.cluster import AwsCluster, AwsClusterArgs

        cluster = AwsCluster(plan.name, AwsClusterArgs(plan=plan))
        # node name -> private IP, read by ``up`` for the configure stage's inventory
        pulumi.export(ADDRESSES_OUTPUT, cluster.addresses)
        pulumi.export(STORAGE_ENDPOINTS_OUTPUT, cluster.lustre_endpoints)
        pulumi.export(INSTANCE_IDS_OUTPUT, cluster.instance_ids)
        pulumi.export(NODE_ACCESS_OUTPUT, cluster.node_access)

    def describe(self, plan: ClusterPlan) -> str:
        where = plan.provider.availability_zone or plan.provider.region or "AWS"
        return f"creates the network, node pools and storage of {plan.name} in {where}"


class KubernetesProvider:
    name = "kubernetes"
    creates_cloud_resources = True

    def build(self, plan: ClusterPlan) -> None:
        from aiinfra_iac.provision.kubernetes.cluster import ExistingCluster, ExistingClusterArgs

        ExistingCluster(plan.name, ExistingClusterArgs(plan=plan))

    def describe(self, plan: ClusterPlan) -> str:
        context = plan.provider.context or "the current kubeconfig context"
        return f"installs operators and services into the existing cluster at {context}"


class HostsProvider:
    """onprem and local: the machines exist; configure and validate do the work.

    ``local`` with ``sandbox: chroot`` is the exception: ``up`` extracts a chroot per node
    (:mod:`aiinfra_iac.provision.sandbox`, run by the pipeline), no cloud resource is involved.
    """

    creates_cloud_resources = False

    def __init__(self, name: str) -> None:
        self.name = name

    def build(self, plan: ClusterPlan) -> None:
        """Nothing to create: hosts are configured over SSH (onprem) or in place (local)."""

    def describe(self, plan: ClusterPlan) -> str:
        nodes = sum(pool.count for pool in plan.pools)
        if self.name == "local" and plan.provider.sandbox == "chroot":
            return (
                f"creates {nodes} sandbox node(s): a Debian {SANDBOX_SUITE} chroot each under the state "
                "folder, converged by configure"
            )
        where = "existing hosts" if self.name == "onprem" else "this machine"
        return f"nothing to create: {nodes} node(s) on {where} are configured and validated directly"


PROVIDERS: dict[str, ProvisionProvider] = {
    "aws": AwsProvider(),
    "kubernetes": KubernetesProvider(),
    "onprem": HostsProvider("onprem"),
    "local": HostsProvider("local"),
}


def provider_for(plan: ClusterPlan) -> ProvisionProvider:
    return PROVIDERS[plan.provider.type]
