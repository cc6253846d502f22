"""The on-prem DGX H100 blueprint uses the catalog's DGX H100 compute-port names."""

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
