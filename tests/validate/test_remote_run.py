"""The validation playbook run for real by ansible-runner against this machine (local connection),
with stand-in tools that print the fixture outputs: steps run, outputs land in the layout, judged."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from pathlib import Path

import pytest

from aiinfra_iac.deployment import Deployment, Local, NodeRecord
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.validate.judge import judge
from aiinfra_iac.validate.runners.remote import run_remote

from . import builders as b

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ansible_runner") is None, reason="ansible-runner missing"
)

NODE = b.FIXTURES / "nodes" / "healthy-h100x8"
TOOLS = {
    "gpu_burn": NODE / "gpu_burn.log",
    "dcgmi": NODE / "dcgm_diag.json",
    "all_reduce_perf": NODE / "nccl_all_reduce.log",
    "ib_write_bw": NODE / "ib_write_bw_mlx5_0.log",
    "srun": b.FIXTURES / "cluster" / "healthy-ib-h100x16" / "nccl_all_reduce.log",
}


@pytest.fixture(autouse=True)
def _this_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """Modules run by this interpreter, not whatever interpreter discovery finds on the machine."""
    monkeypatch.setenv("ANSIBLE_PYTHON_INTERPRETER", sys.executable)


def _fake_tools(bin_dir: Path, skip: str = "") -> None:
    bin_dir.mkdir()
    for tool, output in TOOLS.items():
        if tool == skip:
            continue
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "$0 $*" >> {bin_dir}/calls.log\ncat {output}\n')
        script.chmod(script.stat().st_mode | stat.S_IEXEC)


def on_this_machine(plan: ClusterPlan) -> Deployment:
    """A deployment record whose nodes are all reached with Ansible's local connection."""
    nodes = tuple(NodeRecord(name=h, pool=p.name, access=Local()) for p in plan.pools for h in p.hosts)
    return Deployment(cluster=plan.name, stack=plan.name, provider="onprem", nodes=nodes)


def _plan() -> ClusterPlan:
    pool = b.pool("gpu", 2, gpu_plan=b.gpu(), fabric_plan=b.fabric())
    return b.plan([pool], b.gpu_checks("gpu", multi=340.0))


@pytest.mark.slow
def test_playbook_collects_the_layout_and_judges_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_tools(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    plan = _plan()
    results = tmp_path / "results"
    work = tmp_path / "state" / "c" / "validate"
    run_remote(plan, results, b.quiet_console(), deployment=on_this_machine(plan), work_dir=work)
    assert (work / "artifacts").is_dir() and work.stat().st_mode & 0o077 == 0  # kept in the state folder
    for node in ("gpu-0", "gpu-1"):
        for name in ("gpu_burn.log", "dcgm_diag.json", "nccl_all_reduce.log", "ib_write_bw_mlx5_0.log"):
            assert (results / node / name).read_text() == (NODE / name).read_text()
    assert (results / "_cluster" / "nccl_all_reduce.log").exists()
    calls = (tmp_path / "bin" / "calls.log").read_text()
    assert "all_reduce_perf -b 8 -e 8G -f 2 -g 8" in calls and "--nodelist=gpu-0,gpu-1" in calls
    assert "ib_write_bw -d mlx5_0 -F --report_gbits -a -p 18515 gpu-0" in calls  # the client of the pair
    verdict = judge(plan, results)
    assert verdict.verdict == "pass", [c.detail for c in verdict.checks if c.status != "pass"]


def test_missing_tool_is_one_unreachable_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_tools(tmp_path / "bin", skip="all_reduce_perf")
    venv_bin = Path(sys.executable).parent  # ansible-playbook itself
    monkeypatch.setenv("PATH", os.pathsep.join([str(tmp_path / "bin"), str(venv_bin), "/usr/bin", "/bin"]))
    plan, results = _plan(), tmp_path / "results"
    run_remote(plan, results, b.quiet_console(), deployment=on_this_machine(plan))
    assert not (results / "gpu-0" / "gpu_burn.log").exists()  # nothing ran after the preflight
    verdict = judge(plan, results)
    lost = verdict.unreachable
    assert sorted(c.node for c in lost) == ["gpu-0", "gpu-1"]
    assert all(c.detail.startswith("unreachable: all_reduce_perf is not installed") for c in lost)
    assert not any("missing result file" in c.detail and c.node in ("gpu-0", "gpu-1") for c in verdict.checks)


FAKE_SRUN = """#!/bin/bash
# stand-in for srun: runs "bash -c SCRIPT" once per --nodelist host, labelled like srun --label
echo "$0 $*" >> @BIN@/calls.log
nodes=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodelist=*) nodes="${1#--nodelist=}" ;;
    --*) ;;
    *) break ;;
  esac
  shift
done
if [ "$1" = bash ]; then
  i=0
  for n in ${nodes//,/ }; do
    SLURMD_NODENAME=$n "$@" | sed "s/^/$i: /"
    i=$((i + 1))
  done
else
  cat @CLUSTER@
fi
"""


@pytest.mark.slow
def test_slurm_job_steps_from_the_controller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    _fake_tools(bin_dir)
    srun = bin_dir / "srun"
    srun.write_text(FAKE_SRUN.replace("@BIN@", str(bin_dir)).replace("@CLUSTER@", str(TOOLS["srun"])))
    srun.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    head = b.pool("head", 1).model_copy(update={"role": "controller"})
    gpu = b.pool("gpu", 2, gpu_plan=b.gpu(), fabric_plan=b.fabric())
    plan = b.plan([head, gpu], b.gpu_checks("gpu", multi=340.0, rdma=None))
    results = tmp_path / "results"
    run_remote(plan, results, b.quiet_console(), deployment=on_this_machine(plan))
    for node in ("gpu-0", "gpu-1"):
        for name in ("gpu_burn.log", "dcgm_diag.json", "nccl_all_reduce.log"):
            assert (results / node / name).read_text().strip() == (NODE / name).read_text().strip()
    calls = (bin_dir / "calls.log").read_text()
    assert calls.count("srun --label --nodes=2") == 3  # one job step per per-node check
    verdict = judge(plan, results)
    assert verdict.verdict == "pass", [c.detail for c in verdict.checks if c.status != "pass"]
