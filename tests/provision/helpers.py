"""Lookups over rendered resources shared by the provisioning tests."""

from __future__ import annotations

from typing import Any

from aiinfra_iac.provision.offline import RenderedResource

LT = "aws:ec2/launchTemplate:LaunchTemplate"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PLACEMENT = "aws:ec2/placementGroup:PlacementGroup"
NODEGROUP = "aws:eks/nodeGroup:NodeGroup"
ASG = "aws:autoscaling/group:Group"
INSTANCE = "aws:ec2/instance:Instance"
FSX = "aws:fsx/lustreFileSystem:LustreFileSystem"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
PUBLIC_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
K8S_PROVIDER = "pulumi:providers:kubernetes"


def of_type(resources: list[RenderedResource], type_token: str) -> list[RenderedResource]:
    return [r for r in resources if r.type == type_token]


def one(resources: list[RenderedResource], type_token: str, name_suffix: str = "") -> RenderedResource:
    found = [r for r in of_type(resources, type_token) if r.name.endswith(name_suffix)]
    assert len(found) == 1, (
        f"expected one {type_token} ending in {name_suffix!r}, got {[r.name for r in found]}"
    )
    return found[0]


def mock_id(resource_name: str) -> str:
    """The physical ID the offline mocks give a resource (what other inputs reference)."""
    return f"{resource_name}-id"


def efa_interfaces(template: RenderedResource) -> list[dict[str, Any]]:
    interfaces = template.inputs.get("networkInterfaces", [])
    return [i for i in interfaces if i["interfaceType"] in ("efa", "efa-only")]
