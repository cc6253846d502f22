"""The sandbox-only package installs before the daemons start: which node gets what, all at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from aiinfra_iac.plan import plan_from_file
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox, sandbox_daemons
from aiinfra_iac.provision.sandbox import ImageBuildError

SANDBOX_BP = Path(__file__).resolve().parents[2] / "blueprints" / "local-sandbox.yaml"


def _plan() -> ClusterPlan:
    return plan_from_file(SANDBOX_BP)[0]


def test_controller_gets_prometheus_and_every_node_numpy() -> None:
    plan = _plan()
    wanted = sandbox_daemons.node_packages(plan)
    ctl = sandbox_daemons.controller(plan)
    assert list(wanted) == [h for pool in plan.pools for h in pool.hosts]
    assert set(wanted[ctl]) == {"python3-numpy", "prometheus"}
    for host in sandbox_daemons.compute_nodes(plan):
        assert set(wanted[host]) == {"python3-numpy"}


def test_installs_run_in_parallel_one_apt_call_per_node_and_skip_present_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _plan()
    roots = sandbox.node_roots(plan, tmp_path)
    present = sandbox_daemons.compute_nodes(plan)[0]
    numpy_file = roots[present] / sandbox_daemons.NODE_PACKAGES["python3-numpy"]
    numpy_file.parent.mkdir(parents=True)
    numpy_file.write_text("")
    calls: list[list[str]] = []
    installing = len(roots) - 1
    barrier = threading.Barrier(installing, timeout=10)  # breaks unless every install runs at once

    def fake_run_tool(cmd: list[str], *, what: str) -> str:
        calls.append(cmd)
        barrier.wait()
        return ""

    monkeypatch.setattr(sandbox, "run_tool", fake_run_tool)
    done = sandbox_daemons.ensure_all_packages(plan, tmp_path)
    ctl = sandbox_daemons.controller(plan)
    assert done[present] == []
    assert sorted(done[ctl]) == ["prometheus", "python3-numpy"]
    assert len(calls) == installing
    assert all(cmd[0] == "chroot" for cmd in calls)
    assert str(roots[present]) not in {cmd[1] for cmd in calls}


def test_a_failed_install_is_raised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = _plan()
    bad = sandbox_daemons.compute_nodes(plan)[-1]

    def fake_run_tool(cmd: list[str], *, what: str) -> str:
        if cmd[1].endswith(f"/{bad}"):
            raise ImageBuildError(f"{what} failed (exit 100)")
        return ""

    monkeypatch.setattr(sandbox, "run_tool", fake_run_tool)
    with pytest.raises(ImageBuildError, match=bad):
        sandbox_daemons.ensure_all_packages(plan, tmp_path)
