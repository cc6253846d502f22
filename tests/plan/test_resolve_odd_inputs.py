"""resolve() never crashes: every combination either resolves or raises BlueprintError."""

from __future__ import annotations

import itertools
from typing import Any

from aiinfra_iac.errors import BlueprintError
from aiinfra_iac.plan import resolve

from ._blueprints import blueprint

PROVIDERS: list[dict[str, Any]] = [
    {"type": "aws", "region": "us-east-1"},
    {"type": "onprem"},
    {"type": "kubernetes"},
    {"type": "local"},
]
POOLS: list[dict[str, Any]] = [
    {"instanceType": "p5.48xlarge", "count": 2},
    {"instanceType": "p5.48xlarge", "gpu": {"model": "H100-SXM", "count": 4}},
    {"instanceType": "m5.xlarge"},
    {"instanceType": "no-such.type"},
    {"gpu": {"model": "B200", "count": 8}, "hosts": ["a", "b"]},
    {"gpu": {"model": "l40s", "count": 3}, "count": 0},
    {"gpu": {"model": "H100-SXM", "count": 8}, "hosts": []},
    {},
]
FABRICS: list[dict[str, Any] | None] = [
    None,
    {"type": "efa"},
    {"type": "efa", "railsPerNode": 8},
    {"type": "infiniband", "hcas": ["mlx5_0"], "railsPerNode": 2},
    {"type": "infiniband", "nic": "connectx-9"},
    {"type": "roce", "railsPerNode": 3},
]


def _check(provider: dict[str, Any], pool: dict[str, Any], fabric: dict[str, Any] | None) -> str:
    spec: dict[str, Any] = {"fabrics": [{"name": "f", **fabric}]} if fabric else {}
    bp = blueprint(provider, [{"name": "p", **pool, **({"fabric": "f"} if fabric else {})}], **spec)
    try:
        plan = resolve(bp)
    except BlueprintError as error:
        assert error.problems and all(p.id == "AI199" and p.loc.startswith("spec.") for p in error.problems)
        return "error"
    resolved = plan.pool("p")
    assert resolved.count == len(resolved.hosts)
    assert len(resolved.gpu_numa) == resolved.gpus_per_node
    assert all(0 <= n < resolved.numa_nodes for n in resolved.gpu_numa)
    assert all(0 <= rail.numa_node < resolved.numa_nodes for rail in resolved.rails)
    if resolved.fabric is not None:
        assert len(resolved.rails) == resolved.fabric.rails_per_node
    return "ok"


def test_resolve_or_blueprint_error() -> None:
    outcomes: dict[str, int] = {"ok": 0, "error": 0}
    for provider, pool, fabric in itertools.product(PROVIDERS, POOLS, FABRICS):
        try:
            outcomes[_check(provider, pool, fabric)] += 1
        except Exception as error:  # name the combination that broke
            raise AssertionError(f"{provider} {pool} {fabric}: {type(error).__name__}: {error}") from error
    assert outcomes["ok"] and outcomes["error"]  # both paths exercised
