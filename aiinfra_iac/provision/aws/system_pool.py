"""The pinned EKS AMI release of the node groups; the system node group itself is a plan pool
(:mod:`aiinfra_iac.plan.system_pool`), so ``aiinfra plan`` prices it like the others.
Check AI163 rejects ``systemNodes: 0`` with every pool tainted.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from aiinfra_iac.catalog.aws_pins import load_aws_pins
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.plan.system_pool import SYSTEM_POOL, system_pool
from aiinfra_iac.provision.kubernetes.values import kubernetes_settings

__all__ = ["SYSTEM_POOL", "eks_release_version", "system_pool"]


def eks_release_version(plan: ClusterPlan, *, gpu: bool) -> pulumi.Output[str]:
    """The node group's ``releaseVersion`` from the pinned AMI release's public SSM parameter
    (``…/<ami name>/release_version``, next to ``image_id``)."""
    version = kubernetes_settings(plan).version
    image_parameter = load_aws_pins().eks_ami.parameter(version, gpu=gpu)
    name = image_parameter.rsplit("/", 1)[0] + "/release_version"
    return aws.ssm.get_parameter_output(name=name).value
