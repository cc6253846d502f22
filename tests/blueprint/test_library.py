"""The ready blueprints in blueprints/ pass every check with the real catalog, and use the bases."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from aiinfra_iac.blueprint import load_and_check
from aiinfra_iac.blueprint.yaml_source import load_yaml_file, to_plain

ROOT = Path(__file__).resolve().parents[2] / "blueprints"
READY = sorted(ROOT.glob("*.yaml"))
BASES = sorted((ROOT / "bases").glob("*.yaml"))
EXPECTED = {
    "h100-p5-eks-fsx-training",
    "a100-p4d-slurm-training",
    "h100-onprem-ib-slurm",
    "h100-onprem-roce-bluefield3",
    "existing-k8s-gpu-network-operator",
    "local-sandbox",
    "local-host",
    "local-chroot-sandbox",
}


def test_the_library_is_complete() -> None:
    assert {p.stem for p in READY} == EXPECTED
    assert {p.stem for p in BASES} >= {"aws-eks", "onprem-slurm", "validation-defaults"}


@pytest.mark.parametrize("path", READY, ids=[p.stem for p in READY])
def test_ready_blueprint_passes_check(path: Path) -> None:
    checked = load_and_check(path)
    assert checked.loaded.blueprint.metadata.name == path.stem
    assert checked.warnings == []


def test_every_base_is_used() -> None:
    used = {
        (path.parent / entry).resolve()
        for path in READY
        for entry in to_plain(load_yaml_file(path)).get("extends", [])
    }
    assert {base.resolve() for base in BASES} <= used


def test_local_host_is_cpu_only_and_cloud_free() -> None:
    blueprint = load_and_check(ROOT / "local-host.yaml").loaded.blueprint
    assert blueprint.spec.provider.type == "local"
    assert [(p.role, p.gpu, p.instance_type) for p in blueprint.spec.node_pools] == [("compute", None, None)]
    assert blueprint.spec.fabrics == [] and blueprint.spec.storage == []


def test_local_chroot_sandbox_is_cpu_only_and_sandboxed() -> None:
    blueprint = load_and_check(ROOT / "local-chroot-sandbox.yaml").loaded.blueprint
    assert (blueprint.spec.provider.type, blueprint.spec.provider.sandbox) == ("local", "chroot")
    assert [(p.role, p.gpu, p.count) for p in blueprint.spec.node_pools] == [("compute", None, 2)]
    assert blueprint.spec.fabrics == [] and blueprint.spec.storage == []


@pytest.mark.skipif(
    importlib.util.find_spec("aiinfra_iac.plan.resolve") is None, reason="plan.resolve not built yet"
)
@pytest.mark.parametrize("path", READY, ids=[p.stem for p in READY])
def test_ready_blueprint_plans(path: Path) -> None:
    from aiinfra_iac.plan import resolve

    loaded = load_and_check(path).loaded
    plan = resolve(loaded.blueprint, loaded.source_files)
    assert plan is not None


def test_local_sandbox_is_a_slurm_mini_cluster_in_chroots() -> None:
    blueprint = load_and_check(ROOT / "local-sandbox.yaml").loaded.blueprint
    assert (blueprint.spec.provider.type, blueprint.spec.provider.sandbox) == ("local", "chroot")
    assert [(p.role, p.gpu, p.count) for p in blueprint.spec.node_pools] == [
        ("controller", None, 1),
        ("compute", None, 3),
    ]
    assert blueprint.spec.scheduler.type == "slurm" and blueprint.spec.observability.metrics == "prometheus"
