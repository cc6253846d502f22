"""A small, fixed catalog and blueprint builders for table-driven check tests.

The facts mirror the public specs the real catalog holds (p5.48xlarge: 8 x H100, 32 EFA
interfaces, 3200 Gb/s; p4d.24xlarge: 8 x A100 40GB, 4 EFA, 400 Gb/s) so the tests do not
depend on the catalog data files, which another module owns.
"""

from __future__ import annotations

import copy
from typing import Any

from aiinfra_iac.blueprint.checks import RULES
from aiinfra_iac.blueprint.checks.base import Context, execute
from aiinfra_iac.blueprint.loader import LoadedBlueprint
from aiinfra_iac.blueprint.models import Blueprint
from aiinfra_iac.catalog.types import Catalog, DpuModel, GpuModel, InstanceType, NcclVariable, Nic
from aiinfra_iac.errors import Problem


def _gpu(gpu_id: str, aliases: tuple[str, ...], nvlink: float, nvswitch: bool, arch: str) -> GpuModel:
    return GpuModel(gpu_id, aliases, arch, 80, nvlink, nvswitch, 989, 34, 700, ())


def _instance(
    name: str,
    gpu: str | None,
    count: int,
    efa: int,
    gbps: int,
    memory: int = 2048,
    nvme: int = 30_400,
    cb: bool = True,
) -> InstanceType:
    return InstanceType(
        name,
        gpu,
        count,
        192,
        memory,
        2,
        max(efa, 1),
        efa,
        2 if efa else None,
        gbps,
        (),
        (),
        nvme,
        efa > 0,
        cb,
        1.0,
        (),
    )


CATALOG = Catalog(
    gpus={
        "H100-SXM": _gpu("H100-SXM", ("H100-SXM5-80GB",), 900, True, "hopper"),
        "A100-SXM-40GB": _gpu("A100-SXM-40GB", ("A100-SXM4-40GB",), 600, True, "ampere"),
        "A100-SXM-80GB": _gpu("A100-SXM-80GB", ("A100-SXM4-80GB",), 600, True, "ampere"),
        "L40S": _gpu("L40S", (), 0, False, "ada"),
    },
    instance_types={
        "p5.48xlarge": _instance("p5.48xlarge", "H100-SXM", 8, 32, 3200),
        "p4d.24xlarge": _instance("p4d.24xlarge", "A100-SXM-40GB", 8, 4, 400, memory=1152, nvme=8000),
        "m5.xlarge": _instance("m5.xlarge", None, 0, 0, 10, memory=16, nvme=0, cb=False),
        "g6e.xlarge": _instance("g6e.xlarge", "L40S", 1, 0, 20, memory=32, nvme=250, cb=False),
    },
    nics={
        "connectx-7": Nic("connectx-7", "hca", 400, ("infiniband", "ethernet"), ()),
        "efa-v2": Nic("efa-v2", "efa", 100, ("efa",), ()),
    },
    dpus={
        "bluefield-3": DpuModel("bluefield-3", "connectx-7", 16, 32, 400, ()),
        "bluefield-2": DpuModel("bluefield-2", "connectx-6-dx", 8, 16, 200, ()),
    },
    nccl_variables={
        name: NcclVariable(name, "")
        for name in (
            "NCCL_IB_QPS_PER_CONNECTION",
            "NCCL_IB_HCA",
            "NCCL_SOCKET_IFNAME",
            "NCCL_DEBUG",
            "NCCL_IB_TC",
        )
    },
)

AWS: dict[str, Any] = {
    "apiVersion": "aiinfra/v1",
    "kind": "Cluster",
    "metadata": {"name": "t"},
    "spec": {
        "provider": {"type": "aws", "region": "us-east-1", "availabilityZone": "us-east-1a"},
        "nodePools": [
            {"name": "train", "instanceType": "p5.48xlarge", "count": 2, "fabric": "efa"},
        ],
        "fabrics": [{"name": "efa", "type": "efa"}],
        "scheduler": {"type": "kubernetes"},
    },
}

ONPREM: dict[str, Any] = {
    "apiVersion": "aiinfra/v1",
    "kind": "Cluster",
    "metadata": {"name": "t"},
    "spec": {
        "provider": {"type": "onprem", "sshUser": "ops"},
        "nodePools": [
            {"name": "head", "role": "controller", "hosts": ["head-01"]},
            {
                "name": "gpu",
                "gpu": {"model": "H100-SXM", "count": 8},
                "hosts": ["gpu-01", "gpu-02"],
                "fabric": "ib",
            },
        ],
        "fabrics": [{"name": "ib", "type": "infiniband", "linkGbps": 400, "railsPerNode": 8}],
        "scheduler": {"type": "slurm"},
    },
}


def build(base: dict[str, Any], *edits: tuple[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with ``("spec.nodePools.0.count", 3)`` style edits; None deletes."""
    data = copy.deepcopy(base)
    for path, value in edits:
        parts: list[str | int] = [int(p) if p.isdigit() else p for p in path.split(".")]
        target: Any = data
        for part in parts[:-1]:
            if isinstance(target, dict) and part not in target:
                target[part] = {}
            target = target[part]
        if value is None:
            del target[parts[-1]]
        elif isinstance(target, list) and parts[-1] == len(target):
            target.append(value)
        else:
            target[parts[-1]] = value
    return data


def loaded(data: dict[str, Any]) -> LoadedBlueprint:
    return LoadedBlueprint(Blueprint.model_validate(data), ("mem.yaml",), {})


def problems(data: dict[str, Any], rule_id: str | None = None) -> list[Problem]:
    """Run every rule (or only ``rule_id``) on ``data`` with the fake catalog."""
    blueprint = loaded(data)
    ctx = Context(blueprint.blueprint, CATALOG)
    found = []
    for r in RULES:
        if rule_id is None or r.id == rule_id:
            for actual, finding, file, line in execute(r, ctx, blueprint.locate):
                loc = ".".join(str(p) for p in finding.loc)
                found.append(Problem(actual.id, loc, finding.message, file, line, actual.level))
    return found
