"""Run the checks on the nodes with ansible-runner (the fallback where no scheduler runs the
tests; on Slurm the pool-wide NCCL step is an ``srun`` launched from a node of the pool)."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from rich.console import Console

from aiinfra_iac.ansible_data import inventory_json
from aiinfra_iac.childproc import child_env, run_ansible
from aiinfra_iac.deployment import Access, Deployment
from aiinfra_iac.deployment.connect import ansible_vars
from aiinfra_iac.errors import MissingToolError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.terminal import markup
from aiinfra_iac.validate import unreachable
from aiinfra_iac.validate.runners.commands import Step, all_steps, tool_hint
from aiinfra_iac.validate.runners.playbook import GROUP, MISSING_MARK, host_vars, playbook
from aiinfra_iac.validate.runners.slurm import split_results


def plan_steps(plan: ClusterPlan) -> list[Step]:
    """Every check's steps, plus each node's snapshot (:mod:`aiinfra_iac.validate.snapshot`)."""
    from aiinfra_iac.validate import snapshot

    steps = all_steps(plan, {pool.name: pool.hosts for pool in plan.pools})
    hosts = sorted(
        {s.host for s in steps if not s.output.startswith("_")} & {h for p in plan.pools for h in p.hosts}
    )
    return steps + [
        Step("snapshot", h, snapshot.step_argv(), f"{h}/{snapshot.FILE}", tool="sh") for h in hosts
    ]


def inventory(
    plan: ClusterPlan, access: Mapping[str, Access] | None = None, steps: list[Step] | None = None
) -> dict[str, Any]:
    """Each host's validation steps plus how to reach it (``access``: the deployment record's
    node accesses, the same the configure stage used; without one a node is reached by its name)."""
    per_host = host_vars(steps if steps is not None else plan_steps(plan))
    given = access or {}
    hosts = {h: {**(ansible_vars(given[h]) if h in given else {}), **v} for h, v in per_host.items()}
    return {"all": {"vars": {"aiinfra_cluster": plan.name}, "children": {GROUP: {"hosts": hosts}}}}


def run_remote(
    plan: ClusterPlan,
    results_dir: Path,
    console: Console,
    *,
    deployment: Deployment | None = None,
    work_dir: Path | None = None,
) -> None:
    """``work_dir``: ansible-runner's folder (the state folder's ``<stack>/validate``; owner-only,
    last two runs kept); a temporary folder, removed afterwards, when None."""
    try:
        import ansible_runner  # noqa: F401
    except ImportError as error:
        raise MissingToolError("ansible-runner", "pip install ansible-runner") from error
    import yaml  # shipped with ansible-core

    with ExitStack() as stack:
        if work_dir is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="aiinfra-validate-")))
        else:
            root = work_dir
            root.mkdir(parents=True, exist_ok=True, mode=0o700)
        (root / "project").mkdir(exist_ok=True, mode=0o700)
        (root / "inventory").mkdir(exist_ok=True, mode=0o700)
        (root / "project" / "validate.yml").write_text(yaml.safe_dump(playbook(results_dir.resolve())))
        steps = plan_steps(plan)
        access = deployment.access_by_node() if deployment else None
        (root / "inventory" / "hosts.json").write_text(inventory_json(inventory(plan, access, steps)))
        console.print(f"running the validation playbook on {sum(p.count for p in plan.pools)} nodes")
        result = run_ansible(private_data_dir=root, envvars=child_env(), playbook="validate.yml", quiet=True)
        events = list(result.events)
        lost = _unreachable_hosts(events)
        for host, missing in _missing_tools(events).items():
            lost.setdefault(host, (f"{missing} is not installed on the node: {tool_hint(missing)}", missing))
        for host, (cause, tool) in sorted(lost.items()):
            unreachable.mark(results_dir, host, cause, tool)
        if lost:
            console.print(f"[red]{len(lost)} node(s) unreachable or missing a tool (see the verdict)[/]")
        split_results(results_dir, steps)
        if result.status != "successful":
            why = _first_failure(result.events)
            console.print(
                f"[yellow]the validation playbook ended {result.status}{': ' + markup(why) if why else ''}; "
                "judging what came back[/]"
            )


def _missing_tools(events: list[Any]) -> dict[str, str]:
    """host → the first tool the playbook found missing there."""
    found: dict[str, str] = {}
    for event in events:
        data = event.get("event_data", {})
        message = str(data.get("res", {}).get("msg", ""))
        if MISSING_MARK in message:
            tools = message.split(MISSING_MARK, 1)[1].strip().split(",")
            found.setdefault(str(data.get("host", "?")), tools[0].strip())
    return found


def _unreachable_hosts(events: list[Any]) -> dict[str, tuple[str, str | None]]:
    """host → (cause, None) for every ``runner_on_unreachable`` event (SSH/connection failures)."""
    found: dict[str, tuple[str, str | None]] = {}
    for event in events:
        if event.get("event") != "runner_on_unreachable":
            continue
        data = event.get("event_data", {})
        msg = (
            " ".join(str(data.get("res", {}).get("msg", "")).split())
            or "unreachable (no message from Ansible)"
        )
        found.setdefault(str(data.get("host", "?")), (msg[:300], None))
    return found


def _first_failure(events: Any) -> str:
    for event in events:
        if event.get("event") in ("runner_on_failed", "runner_on_unreachable"):
            data = event.get("event_data", {})
            return f"{data.get('host', '?')}: {str(data.get('res', {}).get('msg', ''))[:300]}"
    return ""
