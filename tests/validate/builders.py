"""ClusterPlans and results trees for the validation tests, built directly from the plan model."""

from __future__ import annotations

import io
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from rich.console import Console

from aiinfra_iac.blueprint.models import (
    Capacity,
    Observability,
    Platform,
    Provider,
    Scheduler,
    Tuning,
    ValidationRules,
)
from aiinfra_iac.plan.model import (
    ClusterPlan,
    FabricPlan,
    GpuPlan,
    PoolPlan,
    Rail,
    Summary,
    ValidationCheckPlan,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "validate"
CHECK_KEYS = frozenset({"id", "node", "pool", "kind", "status", "measured", "expected", "unit", "detail"})
"""The keys of one ``checks[]`` entry of ``validate --format json`` (DESIGN.md contract)."""
GPU_MEMORY = {"A100": 80, "H100": 80, "H200": 141}


def gpu(model: str = "H100", count: int = 8) -> GpuPlan:
    return GpuPlan(
        model=model,
        count=count,
        memory_gib=GPU_MEMORY.get(model, 80),
        nvlink_gbps=900.0,
        nvswitch=True,
        architecture="hopper",
    )


def fabric(kind: str = "infiniband", link_gbps: int = 400) -> FabricPlan:
    return FabricPlan(
        name="ib0",
        type=kind,
        nic="connectx-7",
        link_gbps=link_gbps,
        rails_per_node=1,
        gpu_direct_rdma=True,
        hcas=("mlx5_0",),
    )


def pool(
    name: str = "gpu",
    count: int = 1,
    *,
    gpu_plan: GpuPlan | None = None,
    fabric_plan: FabricPlan | None = None,
    rails: int = 1,
    hosts: Sequence[str] | None = None,
) -> PoolPlan:
    return PoolPlan(
        name=name,
        role="compute",
        count=count,
        hosts=tuple(hosts) if hosts is not None else tuple(f"{name}-{i}" for i in range(count)),
        instance_type=None,
        image_id=None,
        gpu=gpu_plan,
        vcpus=None,
        memory_gib=None,
        numa_nodes=2,
        gpu_numa=(),
        capacity=Capacity(),
        fabric=fabric_plan,
        rails=tuple(
            Rail(index=i, device=f"mlx5_{i}", network_card_index=None, gpus=(i,), numa_node=0, link_gbps=400)
            for i in range(rails if fabric_plan is not None else 0)
        ),
        dpu=None,
        storage=(),
        nccl_env={"NCCL_IB_HCA": "mlx5_0"} if fabric_plan is not None else {},
        labels={},
        taints=(),
        hourly_usd_per_node=None,
    )


def check(
    kind: str,
    pool_name: str = "gpu",
    *,
    expected: float | None = None,
    scope: str = "node",
    unit: str = "",
    **params: str | int | float | bool,
) -> ValidationCheckPlan:
    detail = {"nccl": f":{params.get('collective', 'all_reduce')}:{scope}"}.get(kind, "")
    return ValidationCheckPlan(
        id=f"{kind}:{pool_name}{detail}",
        kind=kind,
        pool=pool_name,
        scope=scope,
        expected=expected,
        unit=unit,
        params=dict(params),
    )


def gpu_checks(
    pool_name: str = "gpu", *, nccl: float = 450.0, rdma: float | None = 380.0, multi: float | None = None
) -> list[ValidationCheckPlan]:
    """The checks a GPU pool gets: burn, dcgm, single-node NCCL, RDMA per rail, optional multi-node NCCL."""
    out = [
        check("gpu_burn", pool_name, seconds=60),
        check("dcgm", pool_name, level=3),
        check(
            "nccl",
            pool_name,
            expected=nccl,
            unit="GB/s",
            collective="all_reduce",
            minBytes="8",
            maxBytes="8G",
        ),
    ]
    if rdma is not None:
        out.append(check("rdma", pool_name, expected=rdma, unit="Gb/s"))
    if multi is not None:
        out.append(
            check(
                "nccl",
                pool_name,
                expected=multi,
                unit="GB/s",
                scope="pool",
                collective="all_reduce",
                maxBytes="8G",
            )
        )
    return out


def plan(
    pools: Sequence[PoolPlan],
    checks: Sequence[ValidationCheckPlan],
    *,
    provider: str = "onprem",
    scheduler: str = "slurm",
    rules: ValidationRules | None = None,
    name: str = "test-cluster",
) -> ClusterPlan:
    fabrics = tuple({p.fabric.name: p.fabric for p in pools if p.fabric is not None}.values())
    return ClusterPlan(
        name=name,
        team=None,
        labels={},
        source_files=(),
        provider=Provider(type=provider),
        scheduler=Scheduler(type=scheduler),
        platform=Platform(),
        observability=Observability(),
        tuning=Tuning(),
        pools=tuple(pools),
        fabrics=fabrics,
        dpus=(),
        storage=(),
        validation=tuple(checks),
        rules=rules or ValidationRules(),
        summary=Summary(
            nodes=sum(p.count for p in pools),
            gpus=sum(p.count * p.gpus_per_node for p in pools),
            estimated_hourly_usd=0.0,
        ),
    )


def results_tree(
    root: Path, nodes: Mapping[str, str], cluster: str | None = None, *, drop: Sequence[str] = ()
) -> Path:
    """Copy E1's fixture sets into the DESIGN layout: ``nodes`` maps node name → fixture set under
    ``fixtures/validate/nodes``; ``cluster`` a set under ``fixtures/validate/cluster``;
    ``drop`` lists ``<node>/<file>`` paths to leave out."""
    for node, fixture in nodes.items():
        shutil.copytree(FIXTURES / "nodes" / fixture, root / node)
    if cluster is not None:
        shutil.copytree(FIXTURES / "cluster" / cluster, root / "_cluster")
    for rel in drop:
        (root / rel).unlink()
    return root


def quiet_console() -> Console:
    return Console(file=io.StringIO())
