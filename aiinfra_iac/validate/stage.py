"""``run_validate``: collect results (runners) then judge them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from rich.console import Console

from aiinfra_iac.deployment import Deployment
from aiinfra_iac.deployment.model import Chroot
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
    deployment: Deployment | None = None,
    work_dir: Path | None = None,
) -> None:
    """Run every check of ``plan`` and write the results layout under ``results_dir``.

    ``work_dir``: where the ansible-runner fallback keeps its folder (default: a temporary one).

    ``deployment``: the deployment record (how to reach each node, as the configure stage did);
    without it nodes are reached by their names."""
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the results directory {results_dir}: {error.strerror or error}"
        ) from error
    sandbox_nodes = sandbox_access(plan, deployment)
    if sandbox_nodes is not None:
        from aiinfra_iac.validate.runners.sandbox_slurm import run_sandbox

        run_sandbox(plan, sandbox_nodes, results_dir, console, burn_seconds=burn_seconds)
    elif plan.provider.type == "local":
        from aiinfra_iac.validate.runners.local import run_local

        run_local(plan, results_dir, console, burn_seconds=burn_seconds)
    elif plan.scheduler.type == "kubernetes":
        from aiinfra_iac.validate.runners.kubernetes import run_kubernetes

        run_kubernetes(plan, results_dir, console, node_names=_kube_node_names(deployment))
    else:
        from aiinfra_iac.validate.runners.remote import run_remote

        run_remote(plan, results_dir, console, deployment=deployment, work_dir=work_dir)


def sandbox_access(plan: ClusterPlan, deployment: Deployment | None) -> dict[str, NodeAccess] | None:
    """A Slurm chroot sandbox's nodes (root + namespace from the record): validation runs inside
    them, never on this machine. None for every other cluster; a usage error (exit 2) when the
    record does not reach every node's namespace."""
    if not (
        plan.provider.type == "local" and plan.provider.sandbox == "chroot" and plan.scheduler.type == "slurm"
    ):
        return None
    nodes: dict[str, NodeAccess] = {}
    for node in deployment.nodes if deployment is not None else ():
        access = node.access
        if isinstance(access, Chroot) and access.netns:
            nodes[node.name] = NodeAccess(node.name, Path(access.root), access.netns)
    wanted = [h for pool in plan.pools for h in pool.hosts]
    missing = [h for h in wanted if h not in nodes]
    if missing:
        raise UsageError(
            f"{plan.name}: a Slurm sandbox is validated inside its nodes, never on this machine, and the "
            f"deployment record reaches no namespace of {', '.join(missing[:5])}: run `aiinfra up FILE` first"
        )
    return nodes


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
    work_dir: Path | None = None,
) -> Verdict:
    """``collect=True``: run the runners into ``results_dir``, then judge; ``False``: judge what is there.

    Progress (phase, done/total, elapsed, the burn's countdown) goes to ``console`` (stderr)."""
    from aiinfra_iac.validate.progress import ValidationProgress

    progress = ValidationProgress(console, enabled=console.is_terminal)
    if collect:
        nodes = sum(len(p.hosts) for p in plan.pools)
        burn = _burn_seconds(plan, burn_seconds)
        with progress.phase(f"running checks on {nodes} node(s)", None, burn_seconds=burn):
            collect_results(
                plan,
                results_dir,
                console,
                burn_seconds=burn_seconds,
                deployment=deployment,
                work_dir=work_dir,
            )
    elif not results_dir.is_dir():
        raise UsageError(f"results directory {results_dir} does not exist")
    with progress.phase("judging results") as advance:
        verdict = judge(plan, results_dir, progress=advance)
    sandbox_nodes = sandbox_access(plan, deployment) if deployment is not None else None
    if sandbox_nodes is not None:
        from aiinfra_iac.validate.runners.sandbox_slurm import finish_verdict

        verdict = finish_verdict(plan, verdict, results_dir, sandbox_nodes)
    return verdict


def _burn_seconds(plan: ClusterPlan, override: float | None) -> float | None:
    """The longest burn the plan runs (what the countdown counts down), or None without one."""
    from aiinfra_iac.validate.kinds.params import gpu_burn_params

    seconds = [
        float(gpu_burn_params(c, plan.pool(c.pool)).seconds) for c in plan.validation if c.kind == "gpu_burn"
    ]
    if not seconds:
        return None
    return override if override is not None else max(seconds)
