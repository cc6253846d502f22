"""``AwsCluster``: the whole AWS side of a blueprint, composed from the smaller components."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from aiinfra_iac.errors import ProvisionError
from aiinfra_iac.plan.eks_endpoint import endpoint_access
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.aws.access import Bastion, BastionArgs
from aiinfra_iac.provision.aws.eks import EksControlPlane, EksControlPlaneArgs
from aiinfra_iac.provision.aws.eks_addons import EksManagedAddons, EksManagedAddonsArgs
from aiinfra_iac.provision.aws.flow_logs import VpcFlowLogs, VpcFlowLogsArgs
from aiinfra_iac.provision.aws.iam import EKS_NODE_POLICIES, SSM_CORE, NodeIdentity, NodeIdentityArgs
from aiinfra_iac.provision.aws.network import ClusterNetwork, ClusterNetworkArgs
from aiinfra_iac.provision.aws.node_access import access_method
from aiinfra_iac.provision.aws.nodes import NodePool, NodePoolArgs, pool_mode
from aiinfra_iac.provision.aws.storage import (
    BucketStorage,
    BucketStorageArgs,
    LustreStorage,
    LustreStorageArgs,
)
from aiinfra_iac.provision.aws.system_pool import eks_release_version, system_pool
from aiinfra_iac.provision.common import cloud_storage, cluster_tags
from aiinfra_iac.provision.kubernetes.addons import ClusterAddons, ClusterAddonsArgs
from aiinfra_iac.provision.kubernetes.values import kubernetes_settings


@dataclass(frozen=True)
class AwsClusterArgs:
    plan: ClusterPlan


class AwsCluster(pulumi.ComponentResource):
    TYPE = "aiinfra:aws:Cluster"

    def __init__(self, name: str, args: AwsClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        plan = args.plan
        provider = plan.provider
        if not provider.region or not provider.availability_zone:
            raise ProvisionError(
                "spec.provider.region and spec.provider.availabilityZone are required for aws"
            )
        child = pulumi.ResourceOptions(parent=self)
        tags = cluster_tags(plan)
        on_eks = plan.scheduler.type == "kubernetes"

        self.network = ClusterNetwork(
            f"{name}-net",
            ClusterNetworkArgs(
                availability_zone=provider.availability_zone,
                region=provider.region,
                control_plane_subnet=on_eks,
                tags=tags,
            ),
            opts=child,
        )
        subnet_id = self.network.node_subnet.id
        self.flow_logs: VpcFlowLogs | None = None
        if provider.flow_logs:
            self.flow_logs = VpcFlowLogs(
                f"{name}-flow-logs",
                VpcFlowLogsArgs(
                    vpc_id=self.network.vpc.id,
                    log_group_name=f"/aiinfra/{plan.name}/vpc-flow-logs",
                    retention_days=provider.flow_log_retention_days,
                    tags=tags,
                ),
                opts=child,
            )
        security_group_id = self.network.efa_security_group.id

        buckets: list[BucketStorage] = []
        self.storage: dict[str, pulumi.ComponentResource] = {}
        self.lustre_endpoints: dict[str, dict[str, pulumi.Output[str]]] = {}
        """fsx-lustre name -> {dnsName, mountName}: what the configure stage mounts."""
        stored = cloud_storage(plan)
        linked = {s.data_repository for s in stored if s.type == "fsx-lustre" and s.data_repository}
        for storage in (s for s in stored if s.type != "fsx-lustre"):  # buckets first: FSx links them
            bucket = BucketStorage(
                f"{name}-{storage.name}",
                BucketStorageArgs(
                    storage=storage,
                    bucket_name=storage.bucket or f"{plan.name}-{storage.name}",
                    linked_to_fsx=storage.name in linked,
                    tags=tags,
                ),
                opts=child,
            )
            buckets.append(bucket)
            self.storage[storage.name] = bucket
        for storage in (s for s in stored if s.type == "fsx-lustre"):
            lustre = LustreStorage(
                f"{name}-{storage.name}",
                LustreStorageArgs(
                    storage=storage,
                    subnet_id=subnet_id,
                    security_group_id=security_group_id,
                    data_repository=self._data_repository(storage.data_repository),
                    tags=tags,
                ),
                opts=child,
            )
            self.storage[storage.name] = lustre
            self.lustre_endpoints[storage.name] = {
                "dnsName": lustre.file_system.dns_name,
                "mountName": lustre.file_system.mount_name,
            }

        policies = [SSM_CORE, *(EKS_NODE_POLICIES if on_eks else ())]
        self.identity = NodeIdentity(
            f"{name}-nodes",
            NodeIdentityArgs(
                managed_policies=policies,
                bucket_arns=[b.bucket.arn for b in buckets],
                retained=[b.retained for b in buckets],
                tags=tags,
            ),
            opts=child,
        )

        self.control_plane: EksControlPlane | None = None
        if on_eks:
            assert self.network.control_plane_subnet is not None
            self.control_plane = EksControlPlane(
                f"{name}-eks",
                EksControlPlaneArgs(
                    cluster_name=plan.name,
                    version=kubernetes_settings(plan).version,
                    region=provider.region,
                    subnet_ids=[subnet_id, self.network.control_plane_subnet.id],
                    security_group_id=security_group_id,
                    profile=provider.profile,
                    endpoint_access=endpoint_access(provider),
                    nat_public_ip=self.network.nat_ip.public_ip,
                    tags=tags,
                ),
                opts=child,
            )

        method = access_method(plan)
        self.bastion: Bastion | None = None
        if method == "ssh":
            if not provider.key_name or not provider.bastion_cidr:
                raise ProvisionError(
                    "spec.provider.nodeAccess ssh needs keyName (an EC2 key pair) and bastionCidr"
                )
            self.bastion = Bastion(
                f"{name}-bastion",
                BastionArgs(
                    vpc_id=self.network.vpc.id,
                    subnet_id=self.network.public_subnet.id,
                    node_security_group_id=security_group_id,
                    instance_profile_name=self.identity.instance_profile.name,
                    key_name=provider.key_name,
                    allowed_cidr=provider.bastion_cidr,
                    eks_api=on_eks,
                    tags=tags,
                ),
                opts=child,
            )
        release = (
            eks_release_version(plan, gpu=True) if on_eks else None,
            eks_release_version(plan, gpu=False) if on_eks else None,
        )
        extra = [system] if on_eks and (system := system_pool(plan)) is not None else []
        self.pools: list[NodePool] = []
        for pool in [*plan.pools, *extra]:
            self.pools.append(
                NodePool(
                    f"{name}-{pool.name}",
                    NodePoolArgs(
                        pool=pool,
                        mode=pool_mode(pool, plan.scheduler.type),
                        subnet_id=subnet_id,
                        security_group_id=security_group_id,
                        instance_profile_arn=self.identity.instance_profile.arn,
                        node_role_arn=self.identity.role.arn,
                        eks_cluster_name=self.control_plane.cluster.name if self.control_plane else None,
                        eks_release_version=release[0] if pool.gpu else release[1],
                        key_name=provider.key_name if method == "ssh" else None,
                        host_tuning=plan.tuning.host,
                        tags=tags,
                    ),
                    opts=child,
                )
            )

        self.addresses: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            *[p.addresses for p in self.pools]
        ).apply(lambda maps: {host: ip for found in maps for host, ip in found.items()})
        self.instance_ids: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            *[p.instance_ids for p in self.pools]
        ).apply(lambda maps: {host: i for found in maps for host, i in found.items()})
        self.node_access: dict[str, object] = {
            "method": method,
            "region": provider.region,
            "profile": provider.profile,
            "bastion": self.bastion.instance.public_ip if self.bastion else None,
        }
        """What the deployment record needs to reach the nodes (see access.node_records)."""
        outputs: dict[str, object] = {
            "vpcId": self.network.vpc.id,
            "pools": [p.urn for p in self.pools],
            "addresses": self.addresses,
            "instanceIds": self.instance_ids,
            "nodeAccess": self.node_access,
        }
        if self.control_plane is not None:
            self.managed_addons = EksManagedAddons(
                f"{name}-eks-addons",
                EksManagedAddonsArgs(
                    cluster_name=self.control_plane.cluster.name,
                    fsx=any(s.type == "fsx-lustre" for s in plan.storage),
                    tags=tags,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=self.pools),
            )
            self.addons = ClusterAddons(
                f"{name}-addons",
                ClusterAddonsArgs(plan=plan, on_eks=True),
                opts=pulumi.ResourceOptions(
                    parent=self, providers={"kubernetes": self.control_plane.provider}, depends_on=self.pools
                ),
            )
            kubeconfig: pulumi.Output[str] = self.control_plane.kubeconfig
            outputs["kubeconfig"] = kubeconfig.apply(pulumi.Output.secret)
        self.register_outputs(outputs)

    def _data_repository(self, link: str | None) -> pulumi.Input[str] | None:
        """``dataRepository`` as an S3 URI: an s3 entry of this blueprint becomes its bucket's URI (so
        FSx waits for the bucket), an ``s3://`` URI stays as written."""
        if link is None or link.startswith("s3://"):
            return link
        found = self.storage.get(link)
        if not isinstance(found, BucketStorage):
            raise ProvisionError(f"dataRepository '{link}' names no s3 storage entry (check AI157)")
        return found.bucket.bucket.apply(lambda bucket: f"s3://{bucket}")
