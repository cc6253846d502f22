"""ClusterPlan factories for provisioning tests that must not depend on blueprint files.

Built straight from :mod:`aiinfra_iac.plan.model`; the facts (p5 interface layout) mirror
AWS's "Maximize network bandwidth" page so the tests check the same shapes the catalog gives.
"""

from __future__ import annotations

from typing import Any

from aiinfra_iac.blueprint.models import (
    Capacity,
    KubernetesScheduler,
    Observability,
    Platform,
    Provider,
    Scheduler,
    Storage,
    Taint,
    Tuning,
    ValidationRules,
)
from aiinfra_iac.plan.model import (
    ClusterPlan,
    FabricPlan,
    GpuPlan,
    NetworkInterfacePlan,
    PoolPlan,
    Summary,
    ValidationCheckPlan,
)

# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html (P5: 32 network cards)
P5_LAYOUT = (
    NetworkInterfacePlan(network_card_index=0, device_index=0, kind="interface"),
    NetworkInterfacePlan(network_card_index=0, device_index=1, kind="efa-only"),
    *(
        NetworkInterfacePlan(network_card_index=card, device_index=0, kind="efa-only")
        for card in range(1, 32)
    ),
)
P4D_LAYOUT = (
    NetworkInterfacePlan(network_card_index=0, device_index=0, kind="efa"),
    *(NetworkInterfacePlan(network_card_index=card, device_index=0, kind="efa-only") for card in range(1, 4)),
)

H100 = GpuPlan(
    model="H100-SXM", count=8, memory_gib=80, nvlink_gbps=900, nvswitch=True, architecture="hopper"
)
A100 = GpuPlan(
    model="A100-SXM-40GB", count=8, memory_gib=40, nvlink_gbps=600, nvswitch=True, architecture="ampere"
)


def fabric(kind: str, rails: int, link: int) -> FabricPlan:
    nic = {"efa": "efa-v2", "infiniband": "connectx-7", "roce": "connectx-7"}[kind]
    return FabricPlan(
        name="rail",
        type=kind,
        nic=nic,
        link_gbps=link,
        rails_per_node=rails,
        gpu_direct_rdma=True,
        hcas=tuple(f"mlx5_{i}" for i in range(rails)) if kind != "efa" else (),
    )


def pool(name: str, **overrides: Any) -> PoolPlan:
    count = overrides.pop("count", 2)
    values: dict[str, Any] = {
        "name": name,
        "role": "compute",
        "count": count,
        "hosts": tuple(f"{name}-{i}" for i in range(count)),
        "instance_type": None,
        "image_id": None,
        "gpu": H100,
        "vcpus": None,
        "memory_gib": None,
        "numa_nodes": 2,
        "gpu_numa": (0, 0, 0, 0, 1, 1, 1, 1),
        "capacity": Capacity(),
        "fabric": None,
        "rails": (),
        "dpu": None,
        "storage": (),
        "nccl_env": {},
        "labels": {},
        "taints": (),
        "hourly_usd_per_node": None,
    }
    values.update(overrides)
    return PoolPlan(**values)


def cluster(
    name: str, provider: Provider, scheduler: Scheduler, pools: list[PoolPlan], **overrides: Any
) -> ClusterPlan:
    nodes = sum(p.count for p in pools)
    gpus = sum(p.count * p.gpus_per_node for p in pools)
    cost = sum(p.count * (p.hourly_usd_per_node or 0) for p in pools)
    values: dict[str, Any] = {
        "name": name,
        "team": "research",
        "labels": {"cost-center": "ml-42"},
        "source_files": (),
        "provider": provider,
        "scheduler": scheduler,
        "platform": Platform(),
        "observability": Observability(),
        "tuning": Tuning(),
        "pools": tuple(pools),
        "fabrics": tuple({p.fabric.name: p.fabric for p in pools if p.fabric}.values()),
        "dpus": (),
        "storage": (),
        "validation": tuple(
            ValidationCheckPlan(
                id=f"gpu_burn:{p.name}", kind="gpu_burn", pool=p.name, scope="node", expected=None, unit=""
            )
            for p in pools
        ),
        "rules": ValidationRules(),
        "summary": Summary(nodes=nodes, gpus=gpus, estimated_hourly_usd=round(cost, 2)),
    }
    values.update(overrides)
    return ClusterPlan(**values)


def aws_p5_eks() -> ClusterPlan:
    train = pool(
        "train",
        count=16,
        instance_type="p5.48xlarge",
        capacity=Capacity(type="capacity-block", reservation_id="cr-0abc12345678"),
        fabric=fabric("efa", 32, 100),
        network_interfaces=P5_LAYOUT,
        hourly_usd_per_node=55.04,
        taints=(Taint(key="nvidia.com/gpu", value="present"),),
    )
    system = pool(
        "system", count=2, instance_type="m7i.2xlarge", gpu=None, gpu_numa=(), hourly_usd_per_node=0.4
    )
    return cluster(
        "llm-p5",
        Provider(type="aws", region="us-east-1", availability_zone="us-east-1a"),
        Scheduler(type="kubernetes", kubernetes=KubernetesScheduler(version="1.31", queueing="kueue")),
        [train, system],
        platform=Platform(experiment_tracking="mlflow"),
        storage=(
            Storage(
                name="scratch",
                type="fsx-lustre",
                capacity_gi_b=4800,
                deployment_type="PERSISTENT_2",
                throughput_per_ti_b=500,
                efa=True,
                mount_path="/fsx",
                retain=True,
            ),
            Storage(name="checkpoints", type="s3", retain=True),
            Storage(name="tmp-artifacts", type="s3", retain=False, versioning=False),
        ),
    )


def aws_p4d_slurm() -> ClusterPlan:
    head = pool("head", role="controller", count=1, instance_type="m7i.xlarge", gpu=None, gpu_numa=())
    train = pool(
        "train",
        count=4,
        instance_type="p4d.24xlarge",
        capacity=Capacity(type="on-demand"),
        fabric=fabric("efa", 4, 100),
        network_interfaces=P4D_LAYOUT,
        gpu=A100,
    )
    return cluster(
        "p4d-slurm",
        Provider(type="aws", region="us-west-2", availability_zone="us-west-2b"),
        Scheduler(type="slurm"),
        [head, train],
    )


def k8s_ib() -> ClusterPlan:
    gpu = pool("gpu", count=4, fabric=fabric("infiniband", 8, 400))
    return cluster(
        "k8s-ib",
        Provider(type="kubernetes", kubeconfig="~/.kube/config", context="prod"),
        Scheduler(type="kubernetes", kubernetes=KubernetesScheduler()),
        [gpu],
        platform=Platform(experiment_tracking="mlflow", vector_store="milvus", feature_store="feast"),
    )


def onprem(hosts: int = 4) -> ClusterPlan:
    gpu = pool("gpu", count=hosts, fabric=fabric("infiniband", 8, 400))
    return cluster("onprem-ib", Provider(type="onprem", ssh_user="ubuntu"), Scheduler(type="slurm"), [gpu])
