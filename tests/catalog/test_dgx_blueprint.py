"""The on-prem DGX H100 blueprint names the catalog's DGX H100 system: its GPUs, CPU layout, memory and
compute-port HCA names reach the plan, NCCL and the Slurm node line."""

from __future__ import annotations

from pathlib import Path

from aiinfra_iac.blueprint.loader import load_blueprint
from aiinfra_iac.catalog.hosts import system
from aiinfra_iac.plan.resolve import resolve

BLUEPRINT = Path(__file__).resolve().parents[2] / "blueprints" / "h100-onprem-ib-slurm.yaml"


def test_onprem_dgx_h100_blueprint_lists_the_compute_ports() -> None:
    dgx = system("dgx-h100")
    assert dgx is not None
    # The DGX H100 user guide: compute ports skip mlx5_1/2/7/8 (storage, in-band management).
    assert "mlx5_1" not in dgx.compute_hcas and len(dgx.compute_hcas) == 8
    plan = resolve(load_blueprint(BLUEPRINT).blueprint)
    fabric = next(f for f in plan.fabrics if f.name == "ib")
    assert tuple(fabric.hcas) == dgx.compute_hcas
    pool = next(p for p in plan.pools if p.name == "dgx")
    assert pool.nccl_env["NCCL_IB_HCA"] == "=" + ",".join(dgx.compute_hcas)
    assert pool.gpu is not None and (pool.gpu.model, pool.gpu.count) == ("H100-SXM", 8)
    assert (pool.sockets, pool.cores_per_socket, pool.threads_per_core, pool.memory_gib) == (2, 56, 2, 2048)
    assert [r.device for r in pool.rails] == list(dgx.compute_hcas)


def test_the_system_fills_the_slurm_node_line() -> None:
    from aiinfra_iac.configure.inventory import role_vars_for_pool

    plan = resolve(load_blueprint(BLUEPRINT).blueprint)
    nodes = role_vars_for_pool(plan, plan.pool("head"))["slurm_nodes"]
    dgx = next(n for n in nodes if n["name"].startswith("dgx-h100"))  # type: ignore[index,union-attr]
    assert (dgx["sockets"], dgx["cores_per_socket"], dgx["threads_per_core"]) == (2, 56, 2)  # type: ignore[index]
    assert dgx["real_memory"] == int(2048 * 1024 * 0.95)  # type: ignore[index]
    assert "facts_host" not in dgx  # the catalog knows the layout: no facts needed


def _check(tmp_path: Path, provider: str, pool: str) -> list[str]:
    from aiinfra_iac.commands.check import check_files

    path = tmp_path / "bp.yaml"
    path.write_text(
        "apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: dgx}\nspec:\n"
        f"  provider: {provider}\n  nodePools:\n    - {pool}\n  scheduler: {{type: kubernetes}}\n"
    )
    problems, _ = check_files([path])
    return [f"{p.id} {p.loc}: {p.message}" for p in problems if p.level == "error"]


def test_gpus_that_contradict_the_system_and_a_system_off_prem_are_errors(tmp_path: Path) -> None:
    onprem = "{type: onprem, sshUser: ops}"
    wrong = _check(
        tmp_path, onprem, "{name: gpu, system: dgx-h200, gpu: {model: H100-SXM, count: 8}, hosts: [g1]}"
    )
    assert any(e.startswith("AI114 spec.nodePools[0].gpu") and "8 x H200-SXM" in e for e in wrong), wrong
    same = _check(
        tmp_path, onprem, "{name: gpu, system: dgx-h200, gpu: {model: H200-SXM, count: 8}, hosts: [g1]}"
    )
    assert not [e for e in same if e.startswith("AI114")], same
    aws = "{type: aws, region: us-east-1, availabilityZone: us-east-1a}"
    off = _check(tmp_path, aws, "{name: gpu, system: dgx-h100, instanceType: p5.48xlarge, count: 1}")
    assert any(e.startswith("AI120 spec.nodePools[0].system") for e in off), off
