"""The EKS system node group and the pinned EKS AMI release.

GPU pools carry ``nvidia.com/gpu:NoSchedule`` so only GPU jobs land there; CoreDNS, the
operators' controllers, Kueue, Prometheus and Loki then need nodes without that taint. Where
every blueprint pool is tainted, a small untainted group (``kubernetes.systemNodes`` x
``systemInstanceType``) runs them, as the EKS and HyperPod reference architectures do
(https://docs.aws.amazon.com/eks/latest/best-practices/aiml-compute.html). Check AI163 rejects
``systemNodes: 0`` with every pool tainted.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from aiinfra_iac.blueprint.models import Capacity
from aiinfra_iac.catalog.aws_pins import load_aws_pins
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan
from aiinfra_iac.provision.kubernetes.values import kubernetes_settings

SYSTEM_POOL = "aiinfra-system"


def system_pool(plan: ClusterPlan) -> PoolPlan | None:
    """The untainted system node group, or None (an untainted pool exists, or systemNodes is 0)."""
    settings = kubernetes_settings(plan)
    if settings.system_nodes == 0 or any(not pool.taints for pool in plan.pools):
        return None
    count = settings.system_nodes
    return PoolPlan(
        name=SYSTEM_POOL,
        role="compute",
        count=count,
        hosts=tuple(f"{SYSTEM_POOL}-{i}" for i in range(count)),
        instance_type=settings.system_instance_type,
        image_id=None,
        gpu=None,
        vcpus=None,
        memory_gib=None,
        numa_nodes=1,
        gpu_numa=(),
        capacity=Capacity(),
        fabric=None,
        rails=(),
        dpu=None,
        storage=(),
        nccl_env={},
        labels={"aiinfra.dev/role": "system"},
        taints=(),
        hourly_usd_per_node=None,
    )


def eks_release_version(plan: ClusterPlan, *, gpu: bool) -> pulumi.Output[str]:
    """The node group's ``releaseVersion`` from the pinned AMI release's public SSM parameter
    (``…/<ami name>/release_version``, next to ``image_id``)."""
    version = kubernetes_settings(plan).version
    image_parameter = load_aws_pins().eks_ami.parameter(version, gpu=gpu)
    name = image_parameter.rsplit("/", 1)[0] + "/release_version"
    return aws.ssm.get_parameter_output(name=name).value
