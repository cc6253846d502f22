"""resolve() stays fast at fleet size (10,240 hosts)."""

from __future__ import annotations

import time

from aiinfra_iac.plan import resolve

from ._blueprints import aws_p5, blueprint


def test_resolve_10240_aws_nodes_quickly() -> None:
    bp = aws_p5(count=10_240, validation={"nccl": {"collectives": ["all_reduce", "all_gather"]}})
    start = time.perf_counter()
    plan = resolve(bp)
    elapsed = time.perf_counter() - start
    print(f"resolve 10,240 p5 nodes: {elapsed * 1000:.0f} ms")
    assert plan.summary.nodes == 10_240 and plan.summary.gpus == 81_920
    assert plan.pool("train").hosts[-1] == "train-10239"
    assert elapsed < 8.0  # a guard against blow-ups under a loaded parallel run, not a benchmark


def test_resolve_10240_onprem_hosts_quickly() -> None:
    hosts = [f"gpu-{n:05d}" for n in range(10_240)]
    bp = blueprint(
        {"type": "onprem"},
        [{"name": "gpu", "gpu": {"model": "B200", "count": 8}, "hosts": hosts, "fabric": "ib"}],
        fabrics=[{"name": "ib", "type": "infiniband"}],
    )
    start = time.perf_counter()
    plan = resolve(bp)
    elapsed = time.perf_counter() - start
    print(f"resolve 10,240 on-prem hosts: {elapsed * 1000:.0f} ms")
    assert plan.pool("gpu").count == 10_240
    assert elapsed < 8.0  # a guard against blow-ups under a loaded parallel run, not a benchmark
