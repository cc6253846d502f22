"""``run_validate``: collect results (runners) then judge them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.console import Console

from aiinfra_iac.errors import UsageError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.validate.judge import judge
from aiinfra_iac.validate.runners.sandbox_access import NodeAccess
from aiinfra_iac.validate.types import Verdict


def collect_results(
    plan: ClusterPlan,
    results_dir: Path,
    console: Console,
    *,
    burn_seconds: float | None = None,
    addresses: Mapping[str, str] | None = None,
    sandbox_nodes: Mapping[str, NodeAccess] | None = None,
) -> None:
    """Run every check of ``plan`` and write the results layout under ``results_dir``.

    ``addresses``: node name → address known after provisioning (as the configure stage takes them);
    without it nodes are reached by their names."""
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the results directory {results_dir}: {error.strerror or error}"
        ) from error
    if sandbox_nodes is not None:
        from aiinfra_iac.validate.runners.sandbox_slurm import run_sandbox

        run_sandbox(plan, sandbox_nodes, results_dir, console, burn_seconds=burn_seconds)
    elif plan.provider.sandbox == "chroot" and plan.scheduler.type == "slurm":
        raise UsageError(
            f"{plan.name}: a Slurm sandbox is validated inside its nodes, never on this machine: "
            "run `aiinfra up FILE` first (the sandbox network record is missing)"
        )
    elif plan.provider.type == "local":
        from aiinfra_iac.validate.runners.local import run_local

        run_local(plan, results_dir, console, burn_seconds=burn_seconds)
    elif plan.scheduler.type == "kubernetes":
        from aiinfra_iac.validate.runners.kubernetes import run_kubernetes

        run_kubernetes(plan, results_dir, console, node_names=addresses)
    else:
        from aiinfra_iac.validate.runners.remote import run_remote

        run_remote(plan, results_dir, console, addresses=addresses)


def run_validate(
    plan: ClusterPlan,
    results_dir: Path,
    *,
    collect: bool,
    console: Console,
    burn_seconds: float | None = None,
    addresses: Mapping[str, str] | None = None,
    sandbox_nodes: Mapping[str, NodeAccess] | None = None,
) -> Verdict:
    """``collect=True``: run the runners into ``results_dir``, then judge; ``False``: judge what is there."""
    if collect:
        collect_results(
            plan,
            results_dir,
            console,
            burn_seconds=burn_seconds,
            addresses=addresses,
            sandbox_nodes=sandbox_nodes,
        )
    elif not results_dir.is_dir():
        raise UsageError(f"results directory {results_dir} does not exist")
    verdict = judge(plan, results_dir)
    if sandbox_nodes is not None:
        from aiinfra_iac.validate.runners.sandbox_slurm import finish_verdict

        verdict = finish_verdict(plan, verdict, results_dir, sandbox_nodes)
    return verdict
