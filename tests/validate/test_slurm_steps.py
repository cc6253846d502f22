"""Per-node checks as Slurm job steps launched from the controller, and the split of their output."""

from __future__ import annotations

import shlex
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.validate import unreachable
from aiinfra_iac.validate.runners.commands import all_steps
from aiinfra_iac.validate.runners.slurm import NODE_MARK, controller, split, split_results

from . import builders as b


def _plan(scheduler: str = "slurm") -> ClusterPlan:
    head = b.pool("head", 1)
    head = head.model_copy(update={"role": "controller"})
    gpu = b.pool("gpu", 3, gpu_plan=b.gpu(), fabric_plan=b.fabric())
    return b.plan([head, gpu], b.gpu_checks("gpu", multi=340.0), scheduler=scheduler)


def test_job_steps_run_from_the_controller() -> None:
    plan = _plan()
    assert controller(plan) == "head-0"
    steps = all_steps(plan, {"gpu": ("gpu-0", "gpu-1", "gpu-2")})
    launched = [s for s in steps if s.host == "head-0"]
    assert {s.check_id for s in launched} == {
        "gpu_burn:gpu",
        "dcgm:gpu",
        "nccl:gpu:all_reduce:node",
        "nccl:gpu:all_reduce:pool",
    }
    burn = next(s for s in launched if s.check_id == "gpu_burn:gpu")
    assert burn.argv[:6] == (
        "srun",
        "--label",
        "--nodes=3",
        "--ntasks-per-node=1",
        "--nodelist=gpu-0,gpu-1,gpu-2",
        "--exclusive",
    )
    assert (
        burn.split_to == "gpu_burn.log" and burn.output == "_slurm/gpu_burn_gpu.log" and burn.tool == "srun"
    )
    script = burn.argv[-1]
    assert "exec env gpu_burn -tc 60 2>&1" in script and "command -v gpu_burn" in script
    assert shlex.split(shlex.join(burn.argv))[-1] == script
    assert all(s.host != "head-0" for s in steps if s.tool == "ib_write_bw")  # pairs run on the nodes


def test_without_slurm_every_node_runs_its_own_steps() -> None:
    plan = _plan("kubernetes")
    assert controller(plan) is None
    steps = all_steps(plan, {"gpu": ("gpu-0", "gpu-1", "gpu-2")})
    assert sum(1 for s in steps if s.tool == "gpu_burn") == 3


def test_split_labelled_output_by_node() -> None:
    text = "\n".join(
        [
            f"1: {NODE_MARK} gpu-1",
            f"0: {NODE_MARK} gpu-0",
            "0: Tested 8 GPUs:",
            "1: Tested 8 GPUs:",
            "1: \tGPU 0: FAULTY",
            "0: \tGPU 0: OK",
            "srun: job 42 step 1 completed",
        ]
    )
    assert split(text) == {
        "gpu-0": "Tested 8 GPUs:\n\tGPU 0: OK\n",
        "gpu-1": "Tested 8 GPUs:\n\tGPU 0: FAULTY\n",
    }


def test_split_results_writes_the_layout_and_marks_a_node_missing_a_tool(tmp_path: Path) -> None:
    plan = _plan()
    steps = [s for s in all_steps(plan, {"gpu": ("gpu-0", "gpu-1")}) if s.split_to]
    (tmp_path / "_slurm").mkdir()
    for step in steps:
        (tmp_path / step.output).write_text(f"0: {NODE_MARK} gpu-0\n0: hello {step.split_to}\n")
    split_results(tmp_path, steps)
    assert (tmp_path / "gpu-0" / "dcgm_diag.json").read_text() == "hello dcgm_diag.json\n"
    (tmp_path / steps[0].output).write_text(f"3: {NODE_MARK} gpu-1\n3: aiinfra-missing-tool: gpu_burn\n")
    split_results(tmp_path, steps)
    assert unreachable.cause_of(tmp_path, "gpu-0") is None
    cause = unreachable.cause_of(tmp_path, "gpu-1")
    assert cause is not None and cause.startswith("gpu_burn is not installed on the node: build gpu-burn")
