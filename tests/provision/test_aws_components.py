"""The AWS program under mocks: the inputs that decide whether the cluster performs and stays safe."""

from __future__ import annotations

import json

import pytest

from aiinfra_iac.provision.offline import RenderedResource, render_detailed

from .helpers import (
    ASG,
    BUCKET,
    EGRESS,
    FSX,
    INGRESS,
    INSTANCE,
    LT,
    NODEGROUP,
    PLACEMENT,
    PUBLIC_BLOCK,
    RELEASE,
    SG,
    SSE,
    VERSIONING,
    efa_interfaces,
    mock_id,
    of_type,
    one,
)
from .plans import aws_p4d_slurm, aws_p5_eks


@pytest.fixture(scope="module")
def p5() -> list[RenderedResource]:
    return render_detailed(aws_p5_eks())


@pytest.fixture(scope="module")
def p4d() -> list[RenderedResource]:
    return render_detailed(aws_p4d_slurm())


def test_components_use_the_aiinfra_type_tokens_and_prefixed_child_names(p5: list[RenderedResource]) -> None:
    components = {r.type for r in p5 if not r.custom}
    assert {
        "aiinfra:aws:Cluster",
        "aiinfra:aws:ClusterNetwork",
        "aiinfra:aws:NodePool",
        "aiinfra:aws:NodeIdentity",
        "aiinfra:aws:EksControlPlane",
        "aiinfra:aws:LustreStorage",
        "aiinfra:aws:BucketStorage",
        "aiinfra:kubernetes:ClusterAddons",
    } <= components
    assert all(r.name.startswith("llm-p5") for r in p5)


def test_efa_security_group_allows_all_traffic_to_and_from_itself(p5: list[RenderedResource]) -> None:
    group = one(p5, SG, "-efa")
    ingress = one(p5, INGRESS, "efa-ingress-self").inputs
    egress = one(p5, EGRESS, "efa-egress-self").inputs
    for rule in (ingress, egress):
        assert rule["ipProtocol"] == "-1"
        assert rule["securityGroupId"] == rule["referencedSecurityGroupId"] == mock_id(group.name)


def test_p5_launch_template_attaches_32_efa_interfaces_in_the_catalog_layout(
    p5: list[RenderedResource],
) -> None:
    template = one(p5, LT, "train-lt")
    efa = efa_interfaces(template)
    assert len(efa) == 32
    assert sorted({i["networkCardIndex"] for i in efa}) == list(range(32))
    layout = [
        (i["networkCardIndex"], i["deviceIndex"], i["interfaceType"])
        for i in template.inputs["networkInterfaces"]
    ]
    assert layout[:3] == [(0, 0, "interface"), (0, 1, "efa-only"), (1, 0, "efa-only")]
    sg = mock_id(one(p5, SG, "-efa").name)
    assert all(i["securityGroups"] == [sg] for i in template.inputs["networkInterfaces"])


def test_capacity_block_is_targeted_and_gets_no_placement_group(p5: list[RenderedResource]) -> None:
    template = one(p5, LT, "train-lt").inputs
    assert template["instanceMarketOptions"] == {"marketType": "capacity-block"}
    assert template["capacityReservationSpecification"] == {
        "capacityReservationTarget": {"capacityReservationId": "cr-0abc12345678"}
    }
    assert "placement" not in template
    assert of_type(p5, PLACEMENT) == []
    group = one(p5, NODEGROUP, "train-ng").inputs
    assert group["capacityType"] == "CAPACITY_BLOCK"
    # created at 0: instances can only launch once the block is active (scheduled scaling, see test_aws_eks)
    assert group["scalingConfig"] == {"desiredSize": 0, "minSize": 0, "maxSize": 16}
    assert group["amiType"] == "AL2023_x86_64_NVIDIA"
    assert group["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]


def test_cpu_pool_node_group_has_no_efa_interfaces(p5: list[RenderedResource]) -> None:
    template = one(p5, LT, "system-lt").inputs
    assert "networkInterfaces" not in template
    assert one(p5, NODEGROUP, "system-ng").inputs["amiType"] == "AL2023_x86_64_STANDARD"


def test_fsx_lustre_persistent_2_with_efa_is_retained(p5: list[RenderedResource]) -> None:
    fs = one(p5, FSX)
    assert fs.inputs["deploymentType"] == "PERSISTENT_2"
    assert fs.inputs["efaEnabled"] is True
    assert fs.inputs["metadataConfiguration"] == {"mode": "AUTOMATIC"}
    assert fs.inputs["storageCapacity"] == 4800 and fs.inputs["perUnitStorageThroughput"] == 500
    assert fs.inputs["securityGroupIds"] == [mock_id(one(p5, SG, "-efa").name)]
    assert fs.protect and fs.retain_on_delete


def test_buckets_are_encrypted_private_versioned_and_retained_as_asked(p5: list[RenderedResource]) -> None:
    kept = one(p5, BUCKET, "checkpoints-bucket")
    assert kept.inputs["bucket"] == "llm-p5-checkpoints" and kept.protect and kept.retain_on_delete
    assert kept.inputs["forceDestroy"] is False
    scratch = one(p5, BUCKET, "tmp-artifacts-bucket")
    assert not scratch.protect and not scratch.retain_on_delete and scratch.inputs["forceDestroy"] is True
    for name in ("checkpoints", "tmp-artifacts"):
        rule = one(p5, SSE, f"{name}-encryption").inputs["rules"][0]
        assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms"}
        block = one(p5, PUBLIC_BLOCK, f"{name}-public-access").inputs
        assert all(
            block[k] is True
            for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
    assert one(p5, VERSIONING, "checkpoints-versioning").inputs["versioningConfiguration"] == {
        "status": "Enabled"
    }
    assert one(p5, VERSIONING, "tmp-artifacts-versioning").inputs["versioningConfiguration"] == {
        "status": "Suspended"
    }


def test_node_role_reaches_only_the_cluster_buckets(p5: list[RenderedResource]) -> None:
    policy = json.loads(one(p5, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    resources = {arn for statement in policy["Statement"] for arn in statement["Resource"]}
    assert resources == {
        "arn:aws:mock:::llm-p5-checkpoints-bucket",
        "arn:aws:mock:::llm-p5-checkpoints-bucket/*",
        "arn:aws:mock:::llm-p5-tmp-artifacts-bucket",
        "arn:aws:mock:::llm-p5-tmp-artifacts-bucket/*",
    }


def test_eks_control_plane_spans_two_zones_and_gets_the_operators(p5: list[RenderedResource]) -> None:
    cluster = one(p5, "aws:eks/cluster:Cluster").inputs
    assert cluster["version"] == "1.31" and len(cluster["vpcConfig"]["subnetIds"]) == 2
    zones = {r.inputs["availabilityZone"] for r in of_type(p5, "aws:ec2/subnet:Subnet")}
    assert zones == {"us-east-1a", "us-east-1b"}
    releases = {r.inputs["name"] for r in of_type(p5, RELEASE)}
    assert {
        "aws-efa-k8s-device-plugin",
        "gpu-operator",
        "kueue",
        "kube-prometheus-stack",
        "mlflow",
    } <= releases
    assert "network-operator" not in releases  # EFA, no InfiniBand/RoCE
    gpu_operator = one(p5, RELEASE, "gpu-operator").inputs["values"]
    assert gpu_operator["driver"]["enabled"] is False and gpu_operator["toolkit"]["enabled"] is False


def test_slurm_on_p4d_uses_a_cluster_placement_group_and_an_asg(p4d: list[RenderedResource]) -> None:
    group = one(p4d, PLACEMENT)
    assert group.inputs["strategy"] == "cluster"
    template = one(p4d, LT, "train-lt").inputs
    assert template["placement"] == {"groupName": group.name}
    assert len(efa_interfaces(one(p4d, LT, "train-lt"))) == 4
    assert template["imageId"].startswith("resolve:ssm:/aws/service/deeplearning/")
    asg = one(p4d, ASG).inputs
    assert (asg["desiredCapacity"], asg["minSize"], asg["maxSize"]) == (4, 4, 4)
    assert asg["vpcZoneIdentifiers"] == [mock_id(one(p4d, "aws:ec2/subnet:Subnet", "-nodes").name)]


def test_slurm_controller_is_a_named_instance_and_no_eks_exists(p4d: list[RenderedResource]) -> None:
    head = one(p4d, INSTANCE)
    assert head.name.endswith("head-head-0") and head.inputs["tags"]["Name"] == "head-0"
    assert of_type(p4d, NODEGROUP) == [] and of_type(p4d, "aws:eks/cluster:Cluster") == []
    attached = {
        r.inputs["policyArn"] for r in of_type(p4d, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attached == {"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}
