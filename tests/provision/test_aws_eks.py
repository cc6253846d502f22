"""The AWS program under mocks: what makes a real `up` finish (issue 10).

A schedulable EKS (untainted system node group, tolerations), node identity (SSM everywhere,
Pod Identity for the CSI drivers, IMDS hop limit 1), capacity lifecycle (blocks start at 0 with
a schedule, targeted reservations get no new placement group), storage and network (CSI add-ons,
S3 gateway endpoint, root volume), pinned versions (EKS, AMI release, add-ons, charts).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from aiinfra_iac.blueprint.models import Capacity, Provider
from aiinfra_iac.catalog.aws_pins import load_aws_pins
from aiinfra_iac.errors import ProvisionError
from aiinfra_iac.plan.eks_endpoint import require_endpoint_path
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.aws.eks import kubeconfig
from aiinfra_iac.provision.offline import RenderedResource, render_detailed

from .helpers import LT, NODEGROUP, PLACEMENT, RELEASE, mock_id, of_type, one
from .plans import aws_p4d_slurm, aws_p5_eks

ADDON = "aws:eks/addon:Addon"
SCHEDULE = "aws:autoscaling/schedule:Schedule"
ATTACH = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE = "aws:iam/role:Role"
SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
START = dt.datetime(2027, 1, 4, 11, 30, tzinfo=dt.UTC)
END = dt.datetime(2027, 1, 18, 11, 30, tzinfo=dt.UTC)


def p5_gpu_only(**capacity: object) -> ClusterPlan:
    """The p5 plan as the shipped blueprint has it: one tainted GPU pool, nothing else."""
    plan = aws_p5_eks()
    train = plan.pool("train")
    if capacity:
        train = train.model_copy(update={"capacity": Capacity(**capacity)})  # type: ignore[arg-type]
    return plan.model_copy(update={"pools": (train,)})


@pytest.fixture(scope="module")
def p5() -> list[RenderedResource]:
    return render_detailed(
        p5_gpu_only(type="capacity-block", reservation_id="cr-0abc12345678", start=START, end=END)
    )


def test_every_pool_tainted_gets_an_untainted_system_node_group(p5: list[RenderedResource]) -> None:
    groups = {r.inputs["nodeGroupName"]: r.inputs for r in of_type(p5, NODEGROUP)}
    assert set(groups) == {"train", "aiinfra-system"}
    system = groups["aiinfra-system"]
    assert system.get("taints", []) == []
    assert system["scalingConfig"] == {"desiredSize": 2, "minSize": 2, "maxSize": 2}
    assert system["amiType"] == "AL2023_x86_64_STANDARD"
    assert one(p5, LT, "aiinfra-system-lt").inputs["instanceType"] == "m6i.xlarge"
    assert groups["train"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]


def test_no_system_group_where_an_untainted_pool_exists() -> None:
    groups = {r.inputs["nodeGroupName"] for r in of_type(render_detailed(aws_p5_eks()), NODEGROUP)}
    assert groups == {"train", "system"}


def test_per_node_addons_tolerate_the_gpu_taint(p5: list[RenderedResource]) -> None:
    gpu_taint = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    operator = one(p5, RELEASE, "gpu-operator").inputs["values"]
    assert gpu_taint in operator["daemonsets"]["tolerations"]
    assert operator["driver"]["rdma"]["enabled"] is False  # no MOFED on EKS: no rdma without a driver
    efa = one(p5, RELEASE, "aws-efa-k8s-device-plugin").inputs
    assert efa["values"]["tolerations"] == [{"operator": "Exists"}]
    assert efa["version"] == load_aws_pins().chart("aws-efa-k8s-device-plugin").version
    stack = one(p5, RELEASE, "kube-prometheus-stack").inputs["values"]
    assert stack["prometheus-node-exporter"]["tolerations"] == [{"operator": "Exists"}]
    for addon in of_type(p5, ADDON):
        if addon.inputs["addonName"] != "eks-pod-identity-agent":
            assert json.loads(addon.inputs["configurationValues"]) == {"node": {"tolerateAllTaints": True}}


def test_every_node_role_has_the_ssm_core_policy() -> None:
    for plan in (aws_p5_eks(), aws_p4d_slurm()):
        rendered = render_detailed(plan)
        node_roles = [
            r.name
            for r in of_type(rendered, ROLE)
            if json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Principal"]["Service"]
            == "ec2.amazonaws.com"
        ]
        assert node_roles
        for role in node_roles:
            attached = {a.inputs["policyArn"] for a in of_type(rendered, ATTACH) if a.inputs["role"] == role}
            assert SSM_CORE in attached, role


def test_csi_addons_are_pinned_and_use_pod_identity(p5: list[RenderedResource]) -> None:
    pins = load_aws_pins()
    addons = {r.inputs["addonName"]: r.inputs for r in of_type(p5, ADDON)}
    assert set(addons) == {"eks-pod-identity-agent", "aws-ebs-csi-driver", "aws-fsx-csi-driver"}
    for name, inputs in addons.items():
        assert inputs["addonVersion"] == pins.addon(name).version
    for name in ("aws-ebs-csi-driver", "aws-fsx-csi-driver"):
        [association] = addons[name]["podIdentityAssociations"]
        assert association["serviceAccount"] == pins.addon(name).service_account
        role = next(r for r in of_type(p5, ROLE) if association["roleArn"].endswith(r.name))
        trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]
        assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
        assert trust["Action"] == ["sts:AssumeRole", "sts:TagSession"]


def test_capacity_block_starts_at_zero_and_scales_on_the_block_times(p5: list[RenderedResource]) -> None:
    group = one(p5, NODEGROUP, "train-ng").inputs
    assert group["capacityType"] == "CAPACITY_BLOCK"
    assert group["scalingConfig"] == {"desiredSize": 0, "minSize": 0, "maxSize": 16}
    schedules = {
        r.name.rsplit("-", 2)[-2] + "-" + r.name.rsplit("-", 1)[-1]: r.inputs for r in of_type(p5, SCHEDULE)
    }
    assert schedules["block-start"]["startTime"] == "2027-01-04T11:30:00Z"
    assert schedules["block-start"]["desiredCapacity"] == 16
    # EC2 reclaims from 30 min before the end; scale in an hour before it
    assert schedules["block-end"]["startTime"] == "2027-01-18T10:30:00Z"
    assert schedules["block-end"]["desiredCapacity"] == 0
    assert of_type(p5, PLACEMENT) == []


def test_capacity_block_without_times_stays_at_zero_with_no_schedule() -> None:
    rendered = render_detailed(p5_gpu_only(type="capacity-block", reservation_id="cr-0abc12345678"))
    assert one(rendered, NODEGROUP, "train-ng").inputs["scalingConfig"]["desiredSize"] == 0
    assert of_type(rendered, SCHEDULE) == []


def test_targeted_reservation_gets_no_new_placement_group() -> None:
    rendered = render_detailed(p5_gpu_only(type="reserved", reservation_id="cr-0abc12345678"))
    assert of_type(rendered, PLACEMENT) == []
    template = one(rendered, LT, "train-lt").inputs
    assert "placement" not in template
    assert template["capacityReservationSpecification"] == {
        "capacityReservationTarget": {"capacityReservationId": "cr-0abc12345678"}
    }
    named = render_detailed(
        p5_gpu_only(type="reserved", reservation_id="cr-0abc12345678", placement_group="ultra-1")
    )
    assert of_type(named, PLACEMENT) == []
    assert one(named, LT, "train-lt").inputs["placement"] == {"groupName": "ultra-1"}


def test_launch_templates_set_root_volume_and_imds_hop_limit_1(p5: list[RenderedResource]) -> None:
    for template in of_type(p5, LT):
        inputs = template.inputs
        assert inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
        assert inputs["metadataOptions"]["httpTokens"] == "required"
        [root] = inputs["blockDeviceMappings"]
        assert root["deviceName"] == "/dev/xvda"
        assert root["ebs"] == {
            "volumeSize": 200,
            "volumeType": "gp3",
            "encrypted": "true",
            "deleteOnTermination": "true",
        }
    slurm = one(render_detailed(aws_p4d_slurm()), LT, "train-lt").inputs
    assert slurm["blockDeviceMappings"][0]["deviceName"] == "/dev/sda1"


def test_s3_gateway_endpoint_on_the_private_route_table(p5: list[RenderedResource]) -> None:
    endpoint = one(p5, "aws:ec2/vpcEndpoint:VpcEndpoint", "-s3").inputs
    assert endpoint["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert endpoint["vpcEndpointType"] == "Gateway"
    private = one(p5, "aws:ec2/routeTable:RouteTable", "private-rt")
    assert endpoint["routeTableIds"] == [f"{private.name}-id"]


def test_eks_version_default_and_ami_release_are_pinned(p5: list[RenderedResource]) -> None:
    from aiinfra_iac.blueprint.models import KubernetesScheduler

    pins = load_aws_pins()
    assert KubernetesScheduler().version == pins.eks_default
    assert pins.eks_version(pins.eks_default) is not None
    # the node groups pin the AMI release (read from the pinned release's SSM parameter at up)
    assert all(g.inputs["releaseVersion"] for g in of_type(p5, NODEGROUP))
    dated = [pins.eks_ami.released, *(a.released for a in pins.addons), *(c.released for c in pins.charts)]
    assert all(isinstance(d, dt.date) for d in dated)
    assert all(a.source.startswith("https://") for a in (*pins.addons, *pins.charts))


def _with_provider(plan: ClusterPlan, **update: object) -> ClusterPlan:
    return plan.model_copy(update={"provider": plan.provider.model_copy(update=update)})


def test_eks_endpoint_is_private_by_default_and_public_only_from_named_cidrs() -> None:
    default = one(render_detailed(p5_gpu_only()), "aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert (default["endpointPrivateAccess"], default["endpointPublicAccess"]) == (True, False)
    assert "publicAccessCidrs" not in default
    # CIDRs alone ask for public-and-private from them
    asked = _with_provider(p5_gpu_only(), endpoint_public_cidrs=["203.0.113.7/32"])
    config = one(render_detailed(asked), "aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert (config["endpointPrivateAccess"], config["endpointPublicAccess"]) == (True, True)
    assert config["publicAccessCidrs"] == ["203.0.113.7/32"]
    # public only: the nodes reach the endpoint through the NAT, so its address is allowed too
    public = _with_provider(
        p5_gpu_only(), endpoint_access="public", endpoint_public_cidrs=["198.51.100.0/24"]
    )
    rendered = render_detailed(public)
    config = one(rendered, "aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert (config["endpointPrivateAccess"], config["endpointPublicAccess"]) == (False, True)
    nat_ip = one(rendered, "aws:ec2/eip:Eip", "nat-ip").inputs
    assert config["publicAccessCidrs"][0] == "198.51.100.0/24"
    assert len(config["publicAccessCidrs"]) == 2 and config["publicAccessCidrs"][1].endswith("/32")
    assert nat_ip["domain"] == "vpc"


def test_up_stops_before_creating_when_the_endpoint_is_private_only_by_default() -> None:
    """up installs the add-ons over the API in the run that creates the cluster: a private endpoint the
    blueprint never chose stops it with what to set; CIDRs or an explicit private endpoint go on."""
    with pytest.raises(ProvisionError) as caught:
        require_endpoint_path(p5_gpu_only())
    message = str(caught.value)
    assert "spec.provider.endpointPublicCidrs" in message and "endpointAccess: private" in message
    assert message.endswith("Nothing was created.")
    require_endpoint_path(_with_provider(p5_gpu_only(), endpoint_public_cidrs=["203.0.113.7/32"]))
    require_endpoint_path(_with_provider(p5_gpu_only(), endpoint_access="private"))
    require_endpoint_path(aws_p4d_slurm())  # Slurm on EC2: no EKS endpoint


def test_kubeconfig_uses_the_engine_profile_and_region() -> None:
    def token_args(profile: str | None) -> list[str]:
        config = json.loads(kubeconfig("c", "https://x", "ca", "eu-west-1", profile))
        return list(config["users"][0]["user"]["exec"]["args"])

    args = token_args("research")
    assert args[args.index("--region") + 1] == "eu-west-1"
    assert args[args.index("--profile") + 1] == "research"
    assert "--profile" not in token_args(None)


def test_ssh_access_adds_a_bastion_and_key_pair() -> None:
    plan = aws_p4d_slurm()
    ssh = plan.model_copy(
        update={
            "provider": Provider(
                type="aws",
                region="us-west-2",
                availability_zone="us-west-2b",
                node_access="ssh",
                key_name="ops",
                bastion_cidr="203.0.113.0/24",
            )
        }
    )
    rendered = render_detailed(ssh)
    assert all(t.inputs["keyName"] == "ops" for t in of_type(rendered, LT))
    bastion = one(rendered, "aws:ec2/instance:Instance", "bastion-host").inputs
    assert bastion["keyName"] == "ops" and bastion["associatePublicIpAddress"] is True
    ssh_in = one(rendered, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "bastion-ssh-in")
    assert ssh_in.inputs["cidrIpv4"] == "203.0.113.0/24" and ssh_in.inputs["fromPort"] == 22
    ssm = render_detailed(aws_p4d_slurm())
    assert [r for r in of_type(ssm, "aws:ec2/instance:Instance") if "bastion" in r.name] == []
    assert all("keyName" not in t.inputs for t in of_type(ssm, LT))


def test_nodes_cannot_delete_objects_in_retained_buckets() -> None:
    rendered = render_detailed(aws_p5_eks())
    policy = json.loads(one(rendered, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    deletes = [s["Resource"] for s in policy["Statement"] if "s3:DeleteObject" in s["Action"]]
    # checkpoints is retain: true, tmp-artifacts is retain: false
    assert deletes == [["arn:aws:mock:::llm-p5-tmp-artifacts-bucket/*"]]


def test_eks_nodes_with_local_nvme_get_a_raid0_from_nodeadm() -> None:
    import base64

    plan = p5_gpu_only()
    train = plan.pool("train").model_copy(update={"local_nvme_gib": 28610})
    rendered = render_detailed(plan.model_copy(update={"pools": (train,)}))
    user_data = base64.b64decode(one(rendered, LT, "train-lt").inputs["userData"]).decode()
    assert "Content-Type: application/node.eks.aws" in user_data and "strategy: RAID0" in user_data
    assert "userData" not in one(rendered, LT, "aiinfra-system-lt").inputs


FLOW_LOG = "aws:ec2/flowLog:FlowLog"


def test_vpc_flow_logs_are_off_by_default_and_write_only_to_their_group() -> None:
    assert of_type(render_detailed(p5_gpu_only()), FLOW_LOG) == []
    plan = _with_provider(p5_gpu_only(), flow_logs=True, flow_log_retention_days=14)
    rendered = render_detailed(plan)
    flow = one(rendered, FLOW_LOG).inputs
    assert flow["trafficType"] == "ALL" and flow["logDestinationType"] == "cloud-watch-logs"
    assert flow["vpcId"] == mock_id(one(rendered, "aws:ec2/vpc:Vpc").name)
    group = one(rendered, "aws:cloudwatch/logGroup:LogGroup").inputs
    assert group["retentionInDays"] == 14 and group["name"] == "/aiinfra/llm-p5/vpc-flow-logs"
    role = one(rendered, ROLE, "flow-logs-role").inputs
    assert json.loads(role["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "vpc-flow-logs.amazonaws.com"
    }
    policy = json.loads(one(rendered, "aws:iam/rolePolicy:RolePolicy", "flow-logs-deliver").inputs["policy"])
    (statement,) = policy["Statement"]
    assert "logs:PutLogEvents" in statement["Action"] and "logs:CreateLogGroup" not in statement["Action"]
    assert all(r.startswith("arn:aws:mock") or "flow-logs" in r for r in statement["Resource"])
    assert "*" not in statement["Resource"]


DRA = "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation"


def _linked(link: str, deployment: str = "PERSISTENT_2") -> ClusterPlan:
    plan = aws_p5_eks()
    storage = tuple(
        s.model_copy(update={"data_repository": link, "deployment_type": deployment, "efa": False})
        if s.type == "fsx-lustre"
        else s
        for s in plan.storage
    )
    return plan.model_copy(update={"storage": storage})


def test_fsx_links_a_blueprint_bucket_with_a_data_repository_association() -> None:
    assert of_type(render_detailed(aws_p5_eks()), DRA) == []
    rendered = render_detailed(_linked("checkpoints"))
    dra = one(rendered, DRA)
    bucket = one(rendered, "aws:s3/bucket:Bucket", "checkpoints-bucket").inputs["bucket"]
    assert dra.inputs["dataRepositoryPath"] == f"s3://{bucket}"
    fs_name = one(rendered, "aws:fsx/lustreFileSystem:LustreFileSystem").name
    assert dra.inputs["fileSystemId"] == mock_id(fs_name)
    assert dra.inputs["fileSystemPath"] == "/" and dra.inputs["batchImportMetaDataOnCreate"] is True
    events = ["NEW", "CHANGED", "DELETED"]
    both = {"autoImportPolicy": {"events": events}, "autoExportPolicy": {"events": events}}
    assert dra.inputs["s3"] == both
    assert dra.protect  # the file system is retain: true, so is its link
    fs = one(rendered, "aws:fsx/lustreFileSystem:LustreFileSystem").inputs
    assert "importPath" not in fs and "exportPath" not in fs
    sse = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    algorithms = {
        r.name.rsplit("-encryption", 1)[0].rsplit("-", 1)[-1]: r.inputs["rules"][0][
            "applyServerSideEncryptionByDefault"
        ]["sseAlgorithm"]
        for r in of_type(rendered, sse)
    }
    assert algorithms == {"checkpoints": "AES256", "artifacts": "aws:kms"}  # the linked one is SSE-S3


def test_fsx_scratch_1_links_s3_with_import_and_export_paths() -> None:
    rendered = render_detailed(_linked("s3://datasets-bucket/imagenet", deployment="SCRATCH_1"))
    assert of_type(rendered, DRA) == []
    fs = one(rendered, "aws:fsx/lustreFileSystem:LustreFileSystem").inputs
    assert fs["importPath"] == fs["exportPath"] == "s3://datasets-bucket/imagenet"


def _user_data_parts(template: RenderedResource) -> dict[str, str]:
    import base64
    import email

    message = email.message_from_string(base64.b64decode(template.inputs["userData"]).decode())
    assert message.is_multipart()
    return {part.get_content_type(): str(part.get_payload()) for part in message.get_payload()}  # type: ignore[union-attr]


def test_eks_gpu_nodes_get_the_host_tuning_and_nccl_conf_from_user_data(tmp_path: Path) -> None:
    """The tuning script is rendered from the plan and does what it says when run (paths moved to tmp)."""
    import subprocess

    from aiinfra_iac.blueprint.models import HostTuning, Tuning

    plan = p5_gpu_only()
    env = {"FI_EFA_USE_DEVICE_RDMA": "1", "NCCL_DEBUG_FILE": "/tmp/nccl.%h.$HOME 'x'.log"}  # quoting
    train = plan.pool("train").model_copy(update={"nccl_env": env})
    tuned = plan.model_copy(
        update={
            "pools": (train,),
            "tuning": Tuning(host=HostTuning(hugepages_2m=4096, transparent_hugepages="never")),
        }
    )
    rendered = render_detailed(tuned)
    parts = _user_data_parts(one(rendered, LT, "train-lt"))
    assert set(parts) == {"text/x-shellscript"}  # p5 in plans.py has no local NVMe: no RAID0 part
    script = parts["text/x-shellscript"]
    assert "userData" not in one(rendered, LT, "aiinfra-system-lt").inputs  # no GPU: nothing to tune

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for tool in ("sysctl", "systemd-tmpfiles"):
        stub = bin_dir / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} $*" >> {calls}\n')
        stub.chmod(0o755)
    (tmp_path / "etc/sysctl.d").mkdir(parents=True)
    (tmp_path / "etc/tmpfiles.d").mkdir(parents=True)
    moved = script.replace("/etc/", f"{tmp_path}/etc/")
    done = subprocess.run(
        ["bash", "-c", moved], env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "etc/sysctl.d/90-aiinfra-eks.conf").read_text() == (
        "kernel.numa_balancing = 0\nvm.nr_hugepages = 4096\n"
    )
    assert (tmp_path / "etc/tmpfiles.d/90-aiinfra-thp.conf").read_text() == (
        "w /sys/kernel/mm/transparent_hugepage/enabled - - - - never\n"
    )
    nccl = dict(line.split("=", 1) for line in (tmp_path / "etc/nccl.conf").read_text().splitlines())
    assert nccl == env  # the pool's resolved NCCL env, one per line, nothing expanded
    assert calls.read_text().splitlines() == [
        f"sysctl --load={tmp_path}/etc/sysctl.d/90-aiinfra-eks.conf",
        f"systemd-tmpfiles --create {tmp_path}/etc/tmpfiles.d/90-aiinfra-thp.conf",
    ]


def test_eks_nvme_and_tuning_share_one_mime_document() -> None:
    plan = p5_gpu_only()
    train = plan.pool("train").model_copy(update={"local_nvme_gib": 28610})
    rendered = render_detailed(plan.model_copy(update={"pools": (train,)}))
    parts = _user_data_parts(one(rendered, LT, "train-lt"))
    assert set(parts) == {"application/node.eks.aws", "text/x-shellscript"}
    assert "strategy: RAID0" in parts["application/node.eks.aws"]


def test_an_eks_bastion_reaches_the_private_api_endpoint_on_443() -> None:
    ssh = _with_provider(p5_gpu_only(), node_access="ssh", key_name="ops", bastion_cidr="203.0.113.0/24")
    rendered = render_detailed(ssh)
    api_in = one(rendered, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "bastion-eks-api-in")
    ports = (api_in.inputs["fromPort"], api_in.inputs["toPort"], api_in.inputs["ipProtocol"])
    assert ports == (443, 443, "tcp")
    node_sg = one(rendered, "aws:ec2/securityGroup:SecurityGroup", "net-efa").name
    assert api_in.inputs["securityGroupId"] == mock_id(node_sg)
    egress = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
    api_out = one(rendered, egress, "bastion-eks-api-out").inputs
    assert api_out["referencedSecurityGroupId"] == mock_id(node_sg)
    slurm = render_detailed(
        _with_provider(aws_p4d_slurm(), node_access="ssh", key_name="ops", bastion_cidr="203.0.113.0/24")
    )
    assert [r for r in slurm if r.name.endswith("eks-api-in")] == []
