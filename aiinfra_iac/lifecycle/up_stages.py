"""The stage functions of ``aiinfra up`` (what :class:`~aiinfra_iac.lifecycle.pipeline.Pipeline` runs).

* provision: the provider's work (Pulumi stack, sandbox roots, nothing for hosts), then the
  deployment record written atomically to ``<state>/<stack>/deployment.json``;
* configure: the configure stage against the record's node accesses and storage endpoints;
* validate: the validate stage against the same record, results under ``<state>/<stack>/results``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiinfra_iac.deployment import Deployment, read_deployment, write_deployment
from aiinfra_iac.deployment.paths import configure_dir, new_results_dir, stack_name, validate_dir
from aiinfra_iac.errors import UsageError
from aiinfra_iac.lifecycle.pipeline import StageFunction, UpContext
from aiinfra_iac.lifecycle.stages import Stage
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox, sandbox_cluster
from aiinfra_iac.provision.providers import provider_for
from aiinfra_iac.provision.record import deployment_for, missing_nodes

EngineFactory = Callable[[ClusterPlan], Any]
"""Builds an object with ``up() -> ChangeSummary`` and ``outputs() -> dict`` (the real one: Engine)."""


def current_deployment(plan: ClusterPlan, state: Path) -> Deployment:
    """The recorded deployment; for providers whose nodes exist without provisioning (on-prem
    hosts, this machine, an existing Kubernetes cluster reached through the plan's kubeconfig and
    context) the record follows from the plan when none was written yet."""
    stack = stack_name(plan)
    found = read_deployment(state, stack)
    if found is not None:
        return found
    if plan.provider.type == "aws" or sandbox.uses_chroot_sandbox(plan):
        raise UsageError(
            f"no deployment record for {plan.name} in {state / stack}: run `aiinfra up FILE` "
            "(or `--only provision`) first, with the same --state-dir"
        )
    return deployment_for(plan, stack=stack, state=state)


def _deployment(ctx: UpContext, *, every_node: bool) -> Deployment:
    """The record; ``every_node``: the stage reaches each node itself, so each must be recorded."""
    if ctx.deployment is None:
        ctx.deployment = current_deployment(ctx.plan, ctx.state)
    missing = missing_nodes(ctx.plan, ctx.deployment) if every_node else []
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise UsageError(
            f"the deployment record of {ctx.plan.name} has no access for {len(missing)} node(s) ({shown}): "
            "run `aiinfra up FILE --only provision` to record the nodes as provisioned"
        )
    return ctx.deployment


def provision_stage(engine_factory: EngineFactory) -> StageFunction:
    def provision(ctx: UpContext) -> None:
        plan = ctx.plan
        provider = provider_for(plan)
        ctx.console.print(f"provision: {provider.describe(plan)}")
        outputs: dict[str, Any] = {}
        if provider.creates_cloud_resources:
            engine = engine_factory(plan)
            summary = engine.up()
            outputs = engine.outputs()
            ctx.console.print(f"provision: done ({summary.describe()})")
        elif sandbox.uses_chroot_sandbox(plan):
            started = time.monotonic()
            made = sandbox_cluster.provision(plan, ctx.state)
            changes = made.changes
            where = sandbox.sandbox_dir(plan, ctx.state)
            done = f"created {', '.join(changes.created)}" if changes.created else "nothing to create"
            kept = f"; already present: {', '.join(changes.present)}" if changes.present else ""
            gone = f"; removed (not in the plan): {', '.join(changes.removed)}" if changes.removed else ""
            took = time.monotonic() - started
            ctx.console.print(f"provision: sandbox roots in {where}: {done}{kept}{gone} ({took:.1f} s)")
            for line in made.describe():
                ctx.console.print(f"provision: {line}")
        record = deployment_for(plan, stack=ctx.stack, state=ctx.state, outputs=outputs)
        path = write_deployment(ctx.state, record)
        ctx.deployment = read_deployment(ctx.state, ctx.stack) or record  # what later stages read
        ctx.console.print(f"provision: deployment record {path} ({len(record.nodes)} node(s))")

    return provision


def configure(ctx: UpContext) -> None:
    from aiinfra_iac.configure.leftover import stop_leftover_playbooks
    from aiinfra_iac.configure.stage import run_configure
    from aiinfra_iac.plan.roles import configures_nodes

    # up holds the stack lock: a playbook still running on this inventory was left by a killed up
    leftovers = stop_leftover_playbooks(configure_dir(ctx.state, ctx.plan) / "inventory" / "hosts.json")
    if leftovers:
        pids = ", ".join(map(str, leftovers))
        ctx.console.print(f"configure: stopped the ansible-playbook a killed up left running (pid {pids})")
    result = run_configure(
        ctx.plan,
        check=False,
        console=ctx.console,
        deployment=_deployment(ctx, every_node=configures_nodes(ctx.plan)),
        private_data_dir=configure_dir(ctx.state, ctx.plan),
        tags=ctx.configure_tags,
    )
    if result.skipped_reason:
        ctx.console.print(f"configure: {result.skipped_reason}")
    if sandbox.uses_chroot_sandbox(ctx.plan) and ctx.plan.scheduler.type == "slurm":
        _start_sandbox_services(ctx)


def _start_sandbox_services(ctx: UpContext) -> None:
    """systemd is not PID 1 in a sandbox node: start what the roles installed, wait until ready."""
    from aiinfra_iac.provision import sandbox_daemons

    started = time.monotonic()
    for svc in sandbox_daemons.start_all(ctx.plan, ctx.state):
        how = "started" if svc.new else "already running"
        ctx.console.print(f"configure: {svc.node}: {svc.service} {how} (pid {svc.pid})")
    took = time.monotonic() - started
    ctx.console.print(f"configure: Slurm nodes idle, Prometheus scraping every node ({took:.1f} s)")


def validate(ctx: UpContext) -> None:
    from aiinfra_iac.validate.stage import run_validate

    results = ctx.results_dir or new_results_dir(ctx.state, ctx.plan)
    ctx.console.print(f"validate: writing results to {results}")
    ctx.outcome.results_dir = results
    ctx.outcome.verdict = run_validate(
        ctx.plan,
        results,
        collect=True,
        console=ctx.console,
        deployment=_deployment(ctx, every_node=_remote(ctx.plan)),
        work_dir=validate_dir(ctx.state, ctx.plan),
    )


def _remote(plan: ClusterPlan) -> bool:
    """Validation reaches the nodes itself (not this machine, not Kubernetes Jobs)."""
    return plan.provider.type != "local" and plan.scheduler.type != "kubernetes"


def default_stages(engine_factory: EngineFactory) -> dict[Stage, StageFunction]:
    return {"provision": provision_stage(engine_factory), "configure": configure, "validate": validate}
