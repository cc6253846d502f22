"""ClusterPlan objects built directly from plan/model.py for the configure tests (no resolver needed)."""

from __future__ import annotations

from aiinfra_iac.blueprint.models import (
    Capacity,
    Dpu,
    Fabric,
    Observability,
    Platform,
    Provider,
    RoceSpec,
    Scheduler,
    SlurmScheduler,
    Storage,
    Tuning,
    ValidationRules,
)
from aiinfra_iac.plan.model import ClusterPlan, FabricPlan, GpuPlan, PoolPlan, Rail, Summary
from aiinfra_iac.plan.roles import with_roles
from aiinfra_iac.plan.topology import fabric_topology

H100 = GpuPlan(
    model="H100-SXM",
    count=8,
    memory_gib=80,
    nvlink_gbps=900.0,
    nvswitch=True,
    architecture="hopper",
    compute_capability="9.0",
)


def ib_fabric() -> FabricPlan:
    return FabricPlan(
        name="ib",
        type="infiniband",
        nic="connectx-7",
        link_gbps=400,
        rails_per_node=8,
        gpu_direct_rdma=True,
        hcas=tuple(f"mlx5_{i}" for i in range(8)),
        subnet_manager="host",
    )


def roce_fabric() -> FabricPlan:
    return FabricPlan(
        name="roce",
        type="roce",
        nic="connectx-7",
        link_gbps=400,
        rails_per_node=8,
        gpu_direct_rdma=True,
        hcas=tuple(f"mlx5_{i}" for i in range(8)),
        roce=RoceSpec(pfc_priority=3, dscp=26, mtu=4200, gid_index=3, traffic_class=106),
    )


def efa_fabric() -> FabricPlan:
    return FabricPlan(
        name="efa", type="efa", nic="efa", link_gbps=400, rails_per_node=8, gpu_direct_rdma=True, hcas=()
    )


def pool(
    name: str,
    count: int,
    *,
    role: str = "compute",
    gpu: GpuPlan | None = None,
    fabric: FabricPlan | None = None,
    dpu: Dpu | None = None,
    storage: tuple[str, ...] = (),
    hosts: tuple[str, ...] | None = None,
) -> PoolPlan:
    gpu_count = gpu.count if gpu else 0
    gpu_numa = tuple(0 if i < gpu_count // 2 else 1 for i in range(gpu_count))
    rails = ()
    if fabric is not None and gpu is not None:
        rails = tuple(
            Rail(
                index=i,
                device=fabric.hcas[i] if fabric.hcas else f"efa{i}",
                network_card_index=i if fabric.type == "efa" else None,
                gpus=(i,),
                numa_node=gpu_numa[i],
                link_gbps=fabric.link_gbps,
            )
            for i in range(min(fabric.rails_per_node, gpu_count))
        )
    nccl_env = {"NCCL_IB_HCA": ",".join(fabric.hcas)} if fabric and fabric.hcas else {}
    return PoolPlan.model_validate(
        {
            "name": name,
            "role": role,
            "count": count,
            "hosts": hosts if hosts is not None else tuple(f"{name}-{i}" for i in range(count)),
            "instance_type": None,
            "image_id": None,
            "gpu": gpu,
            "vcpus": None,
            "memory_gib": None,
            "numa_nodes": 2,
            "gpu_numa": gpu_numa,
            "capacity": Capacity(),
            "fabric": fabric,
            "rails": rails,
            "dpu": dpu,
            "storage": storage,
            "nccl_env": nccl_env,
            "labels": {},
            "taints": (),
            "hourly_usd_per_node": None,
        }
    )


def cluster(
    pools: tuple[PoolPlan, ...],
    *,
    provider: str = "onprem",
    scheduler: str = "slurm",
    storage: tuple[Storage, ...] = (),
    name: str = "test-cluster",
) -> ClusterPlan:
    fabrics = tuple({p.fabric.name: p.fabric for p in pools if p.fabric}.values())
    sched = Scheduler(type=scheduler, slurm=SlurmScheduler() if scheduler == "slurm" else None)  # type: ignore[arg-type]
    plan = ClusterPlan(
        name=name,
        team="research",
        labels={},
        source_files=("test.yaml",),
        provider=Provider(type=provider, ssh_user="ops", ssh_private_key_file="/keys/ops")  # type: ignore[arg-type]
        if provider == "onprem"
        else Provider(type=provider),  # type: ignore[arg-type]
        scheduler=sched,
        platform=Platform(),
        observability=Observability(),
        tuning=Tuning(),
        pools=pools,
        fabrics=fabrics,
        dpus=tuple({p.dpu.name: p.dpu for p in pools if p.dpu}.values()),
        storage=storage,
        validation=(),
        rules=ValidationRules(),
        summary=Summary(
            nodes=sum(p.count for p in pools),
            gpus=sum(p.count * p.gpus_per_node for p in pools),
            estimated_hourly_usd=0,
        ),
        # resolve() derives the default topology (one leaf switch per pool) the same way
        topology=tuple(
            t for f in fabrics if (t := fabric_topology(Fabric(name=f.name, type=f.type), pools)) is not None
        ),
    )
    return with_roles(plan)


def ib_slurm_cluster() -> ClusterPlan:
    """On-prem InfiniBand H100 + Slurm with an NFS home and a BlueField pool."""
    nfs = Storage(name="home", type="nfs", mount_path="/home", server="nfs1", export="/export/home")
    return cluster(
        (
            pool("head", 1, role="controller", storage=("home",)),
            pool("login", 1, role="login", storage=("home",)),
            pool(
                "gpu",
                4,
                gpu=H100,
                fabric=ib_fabric(),
                storage=("home",),
                dpu=Dpu(name="bf3", model="bluefield-3"),
            ),
        ),
        storage=(nfs,),
    )


def on_instance(p: PoolPlan, instance_type: str, **extra: object) -> PoolPlan:
    """``p`` on an EC2 instance type, with the catalog's CPU layout as resolve puts it in the plan."""
    from aiinfra_iac.catalog.hosts import instance_layout

    layout = instance_layout(instance_type)
    assert layout is not None, instance_type
    update: dict[str, object] = {
        "instance_type": instance_type,
        "sockets": layout.sockets,
        "cores_per_socket": layout.cores_per_socket,
        "threads_per_core": layout.threads_per_core,
        **extra,
    }
    return p.model_copy(update=update)
