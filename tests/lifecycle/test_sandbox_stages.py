"""The lifecycle over a local chroot sandbox (a tiny tarball stands in for the image): provision
writes the deployment record with chroot accesses, configure and diff use exactly those."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.deployment import Chroot, read_deployment
from aiinfra_iac.errors import UsageError
from aiinfra_iac.lifecycle.diffing import diff_cluster
from aiinfra_iac.lifecycle.pipeline import Pipeline
from aiinfra_iac.lifecycle.stages import StageRecord
from aiinfra_iac.lifecycle.up_stages import default_stages
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox
from tests.provision.test_sandbox import _console, _plan, _text, fake_image  # noqa: F401


class Result:
    skipped_reason = None
    changed_hosts = ("sandbox-1",)


def no_engine(p: ClusterPlan) -> None:
    raise AssertionError("the sandbox needs no Pulumi engine")


def test_provision_records_chroot_accesses_and_configure_uses_them(
    fake_image: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, object] = {}

    def fake_configure(plan: ClusterPlan, **kwargs: object) -> Result:
        seen.update(kwargs)
        return Result()

    monkeypatch.setattr("aiinfra_iac.configure.stage.run_configure", fake_configure)
    plan, console = _plan(), _console()
    pipeline = Pipeline(plan, state=tmp_path, console=console, stages=default_stages(no_engine))
    with pytest.raises(UsageError, match="--only provision"):
        pipeline.run(["configure"])
    pipeline.run(["provision", "configure"])
    out = _text(console)
    assert "creates 2 sandbox node(s)" in out and "created sandbox-0, sandbox-1" in out
    record = read_deployment(tmp_path, plan.name)
    assert record is not None and f"deployment record {tmp_path / plan.name / 'deployment.json'}" in out
    roots = sandbox.node_roots(plan, tmp_path)
    access = record.access_by_node()
    assert all(isinstance(a, Chroot) for a in access.values())
    assert {h: a.root for h, a in access.items() if isinstance(a, Chroot)} == {
        h: str(r) for h, r in roots.items()
    }
    assert seen["deployment"] == record
    assert StageRecord.load(tmp_path, plan).completed == ["provision", "configure"]


def test_diff_checks_the_recorded_chroots(fake_image: Path, tmp_path: Path) -> None:  # noqa: F811
    plan, seen = _plan(), dict[str, object]()

    def fake_check(p: ClusterPlan, **kwargs: object) -> Result:
        seen.update(kwargs)
        return Result()

    with pytest.raises(UsageError, match="no deployment record"):
        diff_cluster(plan, state=tmp_path, console=_console(), configure_check=fake_check)
    Pipeline(plan, state=tmp_path, console=_console(), stages=default_stages(no_engine)).run(["provision"])
    report = diff_cluster(plan, state=tmp_path, console=_console(), configure_check=fake_check)
    assert seen["deployment"] == read_deployment(tmp_path, plan.name) and seen["check"] is True
    assert seen["private_data_dir"] == tmp_path / plan.name / "configure"
    assert report.node_changes == ("sandbox-1",)


def test_a_shrunk_pool_loses_its_extra_node_on_the_next_up(fake_image: Path, tmp_path: Path) -> None:  # noqa: F811
    plan, console = _plan(), _console()
    Pipeline(plan, state=tmp_path, console=_console(), stages=default_stages(no_engine)).run(["provision"])
    pool = plan.pool("sandbox")
    smaller = plan.model_copy(
        update={"pools": (pool.model_copy(update={"count": 1, "hosts": pool.hosts[:1]}),)}
    )
    # a changed blueprint changes the fingerprint, so provision runs again (same source files here)
    Pipeline(smaller, state=tmp_path, console=console, stages=default_stages(no_engine)).run(
        ["provision"], resume=False
    )
    assert "removed (not in the plan): sandbox-1" in " ".join(_text(console).split())
    roots = sorted(
        p.name for p in sandbox.sandbox_dir(plan, tmp_path).iterdir() if not p.name.startswith(".")
    )
    assert roots == ["sandbox-0"]
    record = read_deployment(tmp_path, plan.name)
    assert record is not None and [n.name for n in record.nodes] == ["sandbox-0"]
