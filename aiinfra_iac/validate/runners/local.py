"""Run the checks on this machine (provider ``local``).

Pools without GPUs use the CPU fallback: a numpy matmul burn for gpu_burn and gloo collectives
for nccl, each CPU worker standing in for a GPU. Pools with GPUs run the real tools here and
stop with :class:`MissingToolError` (exit 2) naming the first tool that is not installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from aiinfra_iac.errors import MissingToolError
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan
from aiinfra_iac.terminal import markup
from aiinfra_iac.validate import layout
from aiinfra_iac.validate.runners.commands import Step, node_steps, pool_step, tool_hint
from aiinfra_iac.validate.runners.cpu_env import default_workers

if TYPE_CHECKING:
    from aiinfra_iac.validate.runners.cpu_collective import CollectiveRun


def run_local(
    plan: ClusterPlan, results_dir: Path, console: Console, *, burn_seconds: float | None = None
) -> None:
    from aiinfra_iac.validate import snapshot

    for pool in plan.pools:  # the sandbox's nodes are this machine: record what it has
        for host in pool.hosts:
            snapshot.collect_local(results_dir, host)
    cpu_checks = [c for c in plan.validation if plan.pool(c.pool).gpu is None]
    gpu_checks = [c for c in plan.validation if plan.pool(c.pool).gpu is not None]
    if gpu_checks:
        _run_gpu_steps(plan, gpu_checks, results_dir, console)
    if cpu_checks:
        _run_cpu_fallback(plan, cpu_checks, results_dir, console, burn_seconds)


def workers_of(check: ValidationCheckPlan) -> int:
    return int(check.params.get("gpus", default_workers()))


def _run_cpu_fallback(
    plan: ClusterPlan,
    checks: list[ValidationCheckPlan],
    results_dir: Path,
    console: Console,
    burn_seconds: float | None,
) -> None:
    from aiinfra_iac.validate.runners.cpu_burn import run_cpu_burns
    from aiinfra_iac.validate.runners.cpu_collective import require_torch, run_collectives

    runs: list[CollectiveRun] = []
    if any(c.kind == "nccl" for c in checks):
        require_torch()
    for check in checks:
        pool = plan.pool(check.pool)
        workers = workers_of(check)
        if check.kind == "gpu_burn":
            from aiinfra_iac.validate.kinds.params import gpu_burn_params

            planned = gpu_burn_params(check, pool).seconds
            seconds = burn_seconds if burn_seconds is not None else float(planned)
            console.print(
                f"[bold]{check.id}[/] {len(pool.hosts)} node(s): CPU burn, {workers} workers each, "
                f"{seconds:g} s"
            )
            files = [results_dir / node / layout.GPU_BURN_FILE for node in pool.hosts]
            run_cpu_burns(files, workers=workers, seconds=seconds)
        elif check.kind == "nccl":
            runs.extend(_collective_runs(plan, check, pool, workers, results_dir))
        else:
            console.print(
                f"[yellow]{check.id}: {check.kind} has no CPU fallback; it will fail for lack of a result[/]"
            )
    if runs:
        console.print(f"CPU fallback: {len(runs)} collective run(s) over gloo on loopback")
        run_collectives(runs)


def _collective_runs(
    plan: ClusterPlan, check: ValidationCheckPlan, pool: PoolPlan, workers: int, results_dir: Path
) -> list[CollectiveRun]:
    from aiinfra_iac.validate.kinds.params import nccl_params
    from aiinfra_iac.validate.runners.cpu_collective import CollectiveRun

    params = nccl_params(check, pool)
    lo, hi = params.min_bytes, params.sweep_max
    collective = layout.collective_of(check)
    if check.scope == "pool":
        hosts = tuple(h for h in pool.hosts for _ in range(workers))
        path = layout.check_path(plan, results_dir, check, layout.CLUSTER_DIR)
        return [CollectiveRun(collective, tuple(range(len(hosts))), hosts, lo, hi, path)]
    return [
        CollectiveRun(
            collective,
            tuple(range(workers)),
            (node,) * workers,
            lo,
            hi,
            layout.check_path(plan, results_dir, check, node),
        )
        for node in pool.hosts
    ]


def _run_gpu_steps(
    plan: ClusterPlan, checks: list[ValidationCheckPlan], results_dir: Path, console: Console
) -> None:
    steps: list[Step] = []
    for check in checks:
        pool = plan.pool(check.pool)
        if check.scope == "pool":
            steps.append(pool_step(plan, check, pool, pool.hosts))
        elif check.kind != "rdma":
            steps.extend(s for node in pool.hosts for s in node_steps(plan, check, pool, node))
        else:
            console.print(f"[yellow]{check.id}: RDMA pairs need two hosts; not run on provider local[/]")
    for step in steps:
        if shutil.which(step.argv[0]) is None:
            raise MissingToolError(step.argv[0], tool_hint(step.tool or step.argv[0]))
    for step in steps:
        out = results_dir / step.output
        out.parent.mkdir(parents=True, exist_ok=True)
        console.print(f"[bold]{markup(step.check_id)}[/] {markup(step.host)}: {markup(step.shell())}")
        with out.open("w", encoding="utf-8") as handle:
            subprocess.run(
                list(step.argv),
                stdout=handle,
                stderr=subprocess.STDOUT,
                env={**os.environ, **step.env},
                check=False,
            )
