"""Small blueprints built in Python (camelCase dicts, as a user writes them)."""

from __future__ import annotations

import copy
from typing import Any

from aiinfra_iac.blueprint.models import Blueprint


def blueprint(provider: dict[str, Any], pools: list[dict[str, Any]], **spec: Any) -> Blueprint:
    data: dict[str, Any] = {
        "apiVersion": "aiinfra/v1",
        "kind": "Cluster",
        "metadata": {"name": "test-cluster", "team": "research"},
        "spec": {"provider": provider, "nodePools": pools, "scheduler": {"type": "slurm"}, **spec},
    }
    return Blueprint.model_validate(copy.deepcopy(data))


def aws_p5(count: int = 2, **spec: Any) -> Blueprint:
    pools = [{"name": "train", "instanceType": "p5.48xlarge", "count": count, "fabric": "rail"}]
    return blueprint(
        {"type": "aws", "region": "us-east-1"}, pools, fabrics=[{"name": "rail", "type": "efa"}], **spec
    )


def onprem_ib(hosts: int = 4, fabric: dict[str, Any] | None = None, **spec: Any) -> Blueprint:
    pools: list[dict[str, Any]] = [
        {
            "name": "gpu",
            "gpu": {"model": "H100-SXM5-80GB", "count": 8},
            "hosts": [f"gpu-{n:03d}" for n in range(1, hosts + 1)],
            "fabric": "ib",
        },
        {"name": "head", "role": "controller", "hosts": ["head-001"]},
    ]
    fabrics = [{"name": "ib", "type": "infiniband", **(fabric or {})}]
    return blueprint({"type": "onprem", "sshUser": "ops"}, pools, fabrics=fabrics, **spec)


def onprem_roce(roce: dict[str, Any] | None = None, **spec: Any) -> Blueprint:
    pools = [
        {
            "name": "gpu",
            "gpu": {"model": "H200-SXM", "count": 8},
            "hosts": ["n1", "n2"],
            "fabric": "roce",
            "dpu": "bf3",
        }
    ]
    fabrics = [{"name": "roce", "type": "roce", "linkGbps": 200, "roce": roce or {}}]
    dpus = [{"name": "bf3", "model": "bluefield-3", "mode": "nic"}]
    return blueprint({"type": "onprem"}, pools, fabrics=fabrics, dpus=dpus, **spec)


def local_cpu(count: int = 1, **spec: Any) -> Blueprint:
    return blueprint({"type": "local"}, [{"name": "sandbox", "count": count}], **spec)
