"""The GPUDirect RDMA path is derived once per pool in the plan, shown by ``aiinfra plan`` (text,
Markdown, JSON) and handed to the nvidia_driver role; the driver/host blueprint fields that go with it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from rich.console import Console

from aiinfra_iac.blueprint import load_blueprint
from aiinfra_iac.configure.inventory import configuration_entries
from aiinfra_iac.lifecycle.document import plan_document
from aiinfra_iac.lifecycle.plan_report import print_text, render_markdown
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.plan.resolve import resolve
from aiinfra_iac.resources import bundled_path
from tests.plan._blueprints import aws_p5, onprem_ib


def _tuning(driver: dict[str, Any] | None = None, host: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"tuning": {"driver": driver or {}, "host": host or {}}}


def _pools(plan: ClusterPlan) -> dict[str, str]:
    return {p.name: p.gpudirect for p in plan.pools}


def _vars(plan: ClusterPlan, pool: str) -> dict[str, Any]:
    entry = next(e for e in configuration_entries(plan) if e["pool"] == pool)
    return dict(entry["vars"])


def test_open_modules_give_dmabuf_and_cpu_pools_none() -> None:
    plan = resolve(onprem_ib())
    assert _pools(plan) == {"gpu": "dmabuf", "head": "none"}
    assert _vars(plan, "gpu")["nvidia_driver_gpudirect"] == "dmabuf"


def test_proprietary_modules_never_pick_peermem_on_their_own() -> None:
    # nvidia-peermem needs MLNX/DOCA-OFED; the roles install the inbox stack, so auto never chooses it.
    plan = resolve(onprem_ib(**_tuning({"open": False})))
    assert _pools(plan)["gpu"] == "none"


def test_blueprint_asks_for_peermem_or_none() -> None:
    assert _pools(resolve(onprem_ib(**_tuning({"gpuDirect": "peermem"}))))["gpu"] == "peermem"
    assert _pools(resolve(onprem_ib(**_tuning({"gpuDirect": "none"}))))["gpu"] == "none"
    assert _pools(resolve(onprem_ib(fabric={"gpuDirectRdma": False})))["gpu"] == "none"


def test_efa_pools_use_dmabuf() -> None:
    assert _pools(resolve(aws_p5())) == {"train": "dmabuf"}


def test_configure_reads_the_plans_choice() -> None:
    plan = resolve(onprem_ib())
    edited = tuple(p.model_copy(update={"gpudirect": "peermem"}) if p.gpu else p for p in plan.pools)
    assert _vars(plan.model_copy(update={"pools": edited}), "gpu")["nvidia_driver_gpudirect"] == "peermem"


def test_plan_shows_the_path_in_json_text_and_markdown() -> None:
    plan = resolve(onprem_ib())
    document = plan_document(plan)
    pools = {p["pool"]: p for p in document["review"]["pools"]}
    assert pools["gpu"]["gpuDirect"] == "dmabuf"
    assert pools["head"]["gpuDirect"] is None
    assert "GPUDirect RDMA on via dmabuf" in render_markdown(document)
    buffer = io.StringIO()
    print_text(Console(file=buffer, width=400, highlight=False), document)
    assert "GPUDirect RDMA on via dmabuf" in buffer.getvalue()
    none = plan_document(resolve(onprem_ib(**_tuning({"open": False}))))
    assert "GPUDirect RDMA off (no DMA-BUF without open kernel modules)" in render_markdown(none)


def test_driver_version_must_be_on_the_branch() -> None:
    with pytest.raises(ValidationError, match=r"version 570\.86\.15 is not on branch 580"):
        onprem_ib(**_tuning({"version": "570.86.15"}))
    plan = resolve(onprem_ib(**_tuning({"version": "580.95.05", "install": False})))
    assert {
        k: v for k, v in _vars(plan, "gpu").items() if k in ("nvidia_driver_version", "nvidia_driver_install")
    } == {
        "nvidia_driver_version": "580.95.05",
        "nvidia_driver_install": False,
    }


def test_iommu_only_where_asked_and_acs_only_on_bare_metal() -> None:
    onprem = resolve(onprem_ib(**_tuning(host={"pcieAcs": "disable"})))
    assert _vars(onprem, "gpu")["host_tuning_iommu_passthrough"] is False
    assert _vars(onprem, "gpu")["host_tuning_pcie_acs"] == "disable"
    asked = resolve(onprem_ib(**_tuning(host={"iommuPassthrough": True})))
    assert _vars(asked, "gpu")["host_tuning_iommu_passthrough"] is True
    assert _vars(asked, "gpu")["host_tuning_pcie_acs"] == "warn"
    assert (
        _vars(resolve(aws_p5(**_tuning(host={"pcieAcs": "fail"}))), "train")["host_tuning_pcie_acs"]
        == "ignore"
    )


def test_dlami_blueprint_verifies_the_image_instead_of_installing() -> None:
    for root in (Path(__file__).resolve().parents[2] / "blueprints", bundled_path("blueprints")):
        plan = resolve(load_blueprint(root / "a100-p4d-slurm-training.yaml").blueprint)
        found = _vars(plan, "train")
        wanted = {
            "nvidia_driver_install": False,
            "nvidia_driver_branch": "595",
            "nccl_install": False,
            "nccl_preinstalled": True,
            "efa_preinstalled": True,
        }
        assert {k: found[k] for k in wanted} == wanted, root
        markdown = render_markdown(plan_document(plan))
        assert "| driver | branch 595 (managed by host, preinstalled: verified, not installed) |" in markdown
    installing = _vars(resolve(onprem_ib()), "gpu")
    assert (
        installing["nvidia_driver_install"],
        installing["nccl_install"],
        installing["nccl_preinstalled"],
    ) == (
        True,
        True,
        False,
    )
