"""resolve() for provider local: CPU pools get the CPU-fallback checks."""

from __future__ import annotations

from aiinfra_iac.catalog import load_catalog
from aiinfra_iac.plan import resolve

from ._blueprints import blueprint, local_cpu


def test_local_cpu_pool() -> None:
    plan = resolve(local_cpu(count=1))
    pool = plan.pool("sandbox")
    assert pool.hosts == ("sandbox-0",) and pool.gpu is None and pool.numa_nodes == 1
    assert pool.nccl_env == {} and pool.rails == () and pool.hourly_usd_per_node is None
    checks = {c.id: c for c in plan.validation}
    assert set(checks) == {"gpu_burn:sandbox", "nccl:sandbox:all_reduce:node"}
    assert checks["gpu_burn:sandbox"].params["mode"] == "cpu" and checks["gpu_burn:sandbox"].expected is None
    nccl = checks["nccl:sandbox:all_reduce:node"]
    assert nccl.params["backend"] == "gloo" and nccl.unit == "GB/s"
    assert nccl.expected == load_catalog().expectations.cpu_gloo_busbw_gbps
    assert nccl.source.startswith("cpu-fallback")


def test_local_two_nodes_adds_a_pool_wide_gloo_run() -> None:
    checks = {c.id: c for c in resolve(local_cpu(count=2)).validation}
    pool_run = checks["nccl:sandbox:all_reduce:pool"]
    assert pool_run.scope == "pool" and pool_run.params["nodes"] == 2 and pool_run.params["backend"] == "gloo"


def test_cpu_pools_elsewhere_get_no_checks() -> None:
    bp = blueprint({"type": "aws", "region": "us-east-1"}, [{"name": "head", "instanceType": "m5.xlarge"}])
    assert resolve(bp).validation == ()


def test_local_gpu_pool_gets_gpu_checks() -> None:
    bp = blueprint({"type": "local"}, [{"name": "box", "gpu": {"model": "L40S", "count": 2}}])
    kinds = sorted(c.kind for c in resolve(bp).validation)
    assert kinds == ["dcgm", "gpu_burn", "nccl"]
