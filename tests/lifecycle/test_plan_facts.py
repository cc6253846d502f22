"""Facts derived once live in the plan: roles per pool, compute capability, CPU layout.

configure, validate, provision and lifecycle read them from the plan; none of them calls the
derivation helpers (``plan.roles.derive_pool_roles``/``with_roles``, ``catalog.hosts.instance_layout``)
or keeps its own table of compute capabilities.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from aiinfra_iac.blueprint import load_blueprint
from aiinfra_iac.configure.inventory import configuration_entries
from aiinfra_iac.lifecycle.document import plan_document
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.plan.resolve import resolve
from aiinfra_iac.plan.roles import derive_pool_roles

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "aiinfra_iac"
DOWNSTREAM = ("configure", "validate", "provision", "lifecycle")
DERIVATION_HELPERS = frozenset({"derive_pool_roles", "derive_gpudirect", "with_roles", "instance_layout"})


def _plan(name: str) -> ClusterPlan:
    return resolve(load_blueprint(ROOT / "blueprints" / name).blueprint)


def test_p4d_plan_carries_capability_cpu_layout_and_roles() -> None:
    plan = _plan("a100-p4d-slurm-training.yaml")
    gpu_pools = [p for p in plan.pools if p.gpu is not None]
    assert gpu_pools
    for pool in gpu_pools:
        assert pool.gpu is not None
        assert pool.gpu.compute_capability == "8.0"  # A100, https://developer.nvidia.com/cuda-gpus
        assert (pool.sockets, pool.cores_per_socket, pool.threads_per_core) == (2, 24, 2)
        assert "nccl" in pool.roles and "slurm" in pool.roles
    for pool in plan.pools:
        assert pool.roles == derive_pool_roles(plan, pool)
        assert pool.roles[0] == "host_tuning"


def test_configure_reads_roles_and_capability_from_the_plan() -> None:
    plan = _plan("a100-p4d-slurm-training.yaml")
    pool = next(p for p in plan.pools if p.gpu is not None)
    # A plan whose pool says otherwise wins: configure does not recompute the roles or the arch.
    assert pool.gpu is not None
    edited_gpu = pool.gpu.model_copy(update={"compute_capability": "9.0"})
    edited = pool.model_copy(update={"roles": ("host_tuning", "validation_tools"), "gpu": edited_gpu})
    plan = plan.model_copy(update={"pools": tuple(edited if p.name == pool.name else p for p in plan.pools)})
    entry = next(e for e in configuration_entries(plan) if e["pool"] == pool.name)
    assert entry["roles"] == ["host_tuning", "validation_tools"]
    assert entry["vars"]["validation_tools_gpu_burn_compute"] == "90"


def test_kubernetes_and_local_pools_get_no_roles() -> None:
    for name in ("existing-k8s-gpu-network-operator.yaml", "local-host.yaml"):
        plan = _plan(name)
        assert all(p.roles == () for p in plan.pools), name


def test_plan_json_review_carries_the_facts() -> None:
    plan = _plan("a100-p4d-slurm-training.yaml")
    document = plan_document(plan)
    assert document["schemaVersion"] == 1
    pools = {p["pool"]: p for p in document["review"]["pools"]}
    gpu_pool = next(p for p in plan.pools if p.gpu is not None)
    facts = pools[gpu_pool.name]
    assert facts["gpu"]["computeCapability"] == "8.0"
    assert facts["cpu"] == {"sockets": 2, "coresPerSocket": 24, "threadsPerCore": 2}
    assert facts["roles"] == list(gpu_pool.roles)


def _calls_and_imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def _violations(root: Path) -> list[str]:
    found: list[str] = []
    for stage in DOWNSTREAM:
        for path in sorted((root / stage).rglob("*.py")):
            used = _calls_and_imports(path) & (DERIVATION_HELPERS | {"COMPUTE_CAPABILITY"})
            found.extend(f"{path.relative_to(root)}: {name}" for name in sorted(used))
    return found


def test_downstream_stages_do_not_derive_plan_facts() -> None:
    assert _violations(PACKAGE) == []


@pytest.mark.parametrize(
    "source",
    [
        "from aiinfra_iac.catalog.hosts import instance_layout\n",
        "from aiinfra_iac.plan import roles\nroles.derive_pool_roles(plan, pool)\n",
        "COMPUTE_CAPABILITY = {'H100-SXM': '90'}\n",
    ],
)
def test_the_check_catches_a_planted_derivation(tmp_path: Path, source: str) -> None:
    (tmp_path / "configure").mkdir()
    (tmp_path / "configure" / "bad.py").write_text(source)
    assert _violations(tmp_path) != []
