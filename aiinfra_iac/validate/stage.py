"""``run_validate``: collect results (runners) then judge them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.console import Console

from aiinfra_iac.deployment import Deployment
from aiinfra_iac.errors import UsageError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.validate.judge import judge
from aiinfra_iac.validate.types import Verdict


def collect_results(
    plan: ClusterPlan,
    results_dir: Path,
    console: Console,
    *,
    burn_seconds: float | None = None,
    deployment: Deployment | None = None,
) -> None:
    """Run every check of ``plan`` and write the results layout under ``results_dir``.

    ``deployment``: the deployment record (how to reach each node, as the configure stage did);
    without it nodes are reached by their names."""
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the results directory {results_dir}: {error.strerror or error}"
        ) from error
    if plan.provider.type == "local":
        from aiinfra_iac.validate.runners.local import run_local

        run_local(plan, results_dir, console, burn_seconds=burn_seconds)
    elif plan.scheduler.type == "kubernetes":
        from aiinfra_iac.validate.runners.kubernetes import run_kubernetes

        run_kubernetes(plan, results_dir, console, node_names=_kube_node_names(deployment))
    else:
        from aiinfra_iac.validate.runners.remote import run_remote

        run_remote(plan, results_dir, console, deployment=deployment)


def _kube_node_names(deployment: Deployment | None) -> Mapping[str, str] | None:
    """Plan node name → its private address (the Kubernetes runner looks the node up by it)."""
    if deployment is None:
        return None
    found = {n.name: n.private_address for n in deployment.nodes if n.private_address}
    return found or None


def run_validate(
    plan: ClusterPlan,
    results_dir: Path,
    *,
    collect: bool,
    console: Console,
    burn_seconds: float | None = None,
    deployment: Deployment | None = None,
) -> Verdict:
    """``collect=True``: run the runners into ``results_dir``, then judge; ``False``: judge what is there."""
    if collect:
        collect_results(plan, results_dir, console, burn_seconds=burn_seconds, deployment=deployment)
    elif not results_dir.is_dir():
        raise UsageError(f"results directory {results_dir} does not exist")
    return judge(plan, results_dir)
