"""``aiinfra up FILE [--yes] [--only STAGE [--tags T,..]] [--dry-run] [--state-dir DIR] [--results-dir DIR]``.

Provision (Pulumi) → configure (Ansible) → validate (GPU/NCCL/RDMA), resumable: the stages
that finished for this blueprint are recorded in the state folder and skipped next time
(until the blueprint changes or ``aiinfra down`` runs); ``--only`` runs one stage regardless.
Provision writes the deployment record (``<state>/<stack>/deployment.json``) that configure and
validate — and a later standalone ``validate`` or ``diff`` — read. One ``up``/``down`` per stack
at a time: a second one stops at once with the lock holder named (exit 1).
``--dry-run`` prints what would run (stages, resources rendered under mocks, capacity-block
schedules, the EKS endpoint access) on stdout and exits 0 without calling Pulumi, Ansible or the cloud.
Exit codes: 0 validated (or the chosen stage done), 1 failed (or the stack is locked), 2 usage or
a missing tool, 3 nodes unreachable, 130 interrupted. Progress goes to stderr; the verdict table
goes to stdout.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from aiinfra_iac.commands._common import (
    BasesOption,
    BlueprintArgument,
    ResultsDirOption,
    StateDirOption,
    YesOption,
    fail,
    on_interrupt,
    stderr_console,
    stdout_console,
)
from aiinfra_iac.errors import EXIT_FAILED, EXIT_OK, AiinfraError, UsageError

if TYPE_CHECKING:  # `aiinfra --help` must not load the models (tests/test_cli_imports.py)
    from aiinfra_iac.plan.model import ClusterPlan


class OnlyStage(enum.StrEnum):
    provision = "provision"
    configure = "configure"
    validate = "validate"


def interactive() -> bool:
    """A person can answer a prompt (stdin is a terminal)."""
    return sys.stdin.isatty()


def confirm_or_exit(question: str, yes: bool) -> None:
    """Ask on a terminal; without one, insist on --yes (exit 2)."""
    if yes:
        return
    if not interactive():
        raise UsageError(
            "no terminal to ask for confirmation on: run again with --yes to proceed without asking."
        )
    if not typer.confirm(question, default=False, err=True):
        typer.echo("aborted: nothing was changed.", err=True)
        raise typer.Exit(EXIT_FAILED)


def command(
    file: BlueprintArgument,
    bases: BasesOption = None,
    yes: YesOption = False,
    only: Annotated[
        OnlyStage | None, typer.Option("--only", help="Run only this stage (ignores what finished before).")
    ] = None,
    state_dir: StateDirOption = None,
    results_dir: ResultsDirOption = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show what up would do (stages, resources, capacity-block schedule) and change nothing.",
        ),
    ] = False,
    tags: Annotated[
        str | None,
        typer.Option(
            "--tags",
            help="With --only configure: run only these concerns, comma-separated (tuning, driver, rdma, "
            "infiniband, roce, efa, dpu, nccl, storage, slurm, validation, observability).",
        ),
    ] = None,
) -> None:
    """Provision, configure and validate a cluster.

    Exit codes: 0 validated, 1 failed or stack locked, 2 usage/missing tool, 3 unreachable, 130 interrupted.
    """
    from aiinfra_iac.commands._planload import load_plan

    err = stderr_console()
    try:
        with on_interrupt("up"):
            from aiinfra_iac.deployment.paths import stack_dir, stack_name, usable_state_dir
            from aiinfra_iac.lifecycle.lock import stack_lock
            from aiinfra_iac.lifecycle.pipeline import Pipeline
            from aiinfra_iac.lifecycle.stages import STAGES
            from aiinfra_iac.lifecycle.up_stages import default_stages
            from aiinfra_iac.provision import engine
            from aiinfra_iac.provision.providers import provider_for

            configure_tags = _configure_tags(tags, only)
            plan = load_plan(file, err)
            provider = provider_for(plan)
            stages = (only.value,) if only else STAGES
            if dry_run:
                _print_dry_run(plan, stages, resume=only is None, state_dir=state_dir)
                raise typer.Exit(EXIT_OK)
            needs_stack = provider.creates_cloud_resources and (
                "provision" in stages or (plan.provider.type == "aws" and "configure" in stages)
            )
            if needs_stack:
                engine.require_pulumi_cli()
                engine.require_passphrase()
            if plan.provider.type == "aws" and ("provision" in stages or "configure" in stages):
                from aiinfra_iac.provision.aws.node_access import require_access_tools

                require_access_tools(plan)  # aws CLI (EKS tokens) and, for SSM, the session-manager-plugin
            if plan.provider.type == "aws" and "provision" in stages:
                from aiinfra_iac.plan.eks_endpoint import require_endpoint_path
                from aiinfra_iac.preflight.gate import preflight_gate

                require_endpoint_path(plan)  # a private-by-default endpoint needs the blueprint's word
                preflight_gate(plan, err)  # offerings, quotas, reservations, AMIs: stop before creating
            if "provision" in stages:
                from aiinfra_iac.plan.eks_endpoint import private_endpoint_note

                if (note := private_endpoint_note(plan)) is not None:
                    err.print(f"note: {note}", markup=False, highlight=False)
            state = usable_state_dir(state_dir)
            confirm_or_exit(f"Run {', '.join(stages)} for {plan.name} ({provider.describe(plan)})?", yes)
            with stack_lock(stack_dir(state, plan), stack_name(plan), "up"):
                pipeline = Pipeline(
                    plan,
                    state=state,
                    console=err,
                    stages=default_stages(
                        lambda p: engine.Engine(
                            p, state=state, progress=lambda line: err.out(line.rstrip("\n"), highlight=False)
                        )
                    ),
                    results_dir=results_dir,
                    configure_tags=configure_tags,
                )
                outcome = pipeline.run(stages, resume=only is None)
    except AiinfraError as error:
        fail(error)
    if outcome.verdict is not None:
        from aiinfra_iac.validate.reports.table import print_verdict

        print_verdict(outcome.verdict, stdout_console())
    _print_sandbox_pointers(plan, state, file)
    if outcome.verdict is not None and outcome.verdict.unreachable:  # one line per node, the cause first
        from aiinfra_iac.errors import NodesUnreachable

        causes = [(c.node, c.detail.removeprefix("unreachable: ")) for c in outcome.verdict.unreachable]
        lost = NodesUnreachable("validate", causes)
        err.print(str(lost), markup=False, highlight=False)
        raise typer.Exit(lost.exit_code)
    if outcome.failed:
        err.print(f"{plan.name} is provisioned and configured but did not pass validation.")
        raise typer.Exit(EXIT_FAILED)
    if not outcome.ran:
        err.print(f"{plan.name}: every stage finished earlier; nothing left to run.")
    else:
        err.print(f"{plan.name}: {', '.join(outcome.ran)} finished.")
    raise typer.Exit(EXIT_OK)


def _configure_tags(tags: str | None, only: OnlyStage | None) -> tuple[str, ...]:
    """``--tags`` checked: only with ``--only configure``, only the concerns site.yml has."""
    if tags is None:
        return ()
    from aiinfra_iac.configure.stage import PLAYBOOK
    from aiinfra_iac.configure.tags import parse_tags
    from aiinfra_iac.errors import ConfigureError, UsageError
    from aiinfra_iac.resources import bundled_path

    if only is None or only.value != "configure":
        raise UsageError("--tags selects part of the configure stage: use it with --only configure")
    try:
        playbook = bundled_path("roles") / PLAYBOOK
    except FileNotFoundError as error:
        raise ConfigureError(str(error)) from error
    return parse_tags(tags, playbook)


def _print_dry_run(
    plan: ClusterPlan, stages: tuple[str, ...], *, resume: bool, state_dir: Path | None
) -> None:
    """The dry-run report on stdout; the state folder is read (stage records), never created."""
    from aiinfra_iac.deployment.paths import state_dir as resolve_state_dir
    from aiinfra_iac.lifecycle.dry_run import dry_run_lines
    from aiinfra_iac.lifecycle.stages import STAGES
    from aiinfra_iac.provision.offline import render_offline
    from aiinfra_iac.provision.providers import provider_for

    out = stdout_console()
    lines = dry_run_lines(
        plan,
        [s for s in STAGES if s in stages],
        resume=resume,
        state=resolve_state_dir(state_dir),
        describe=provider_for(plan).describe(plan),
        resources=render_offline(plan),
    )
    for line in lines:
        out.print(line, markup=False, highlight=False)


def _print_sandbox_pointers(plan: ClusterPlan, state: Path, file: Path) -> None:
    """Where to look after ``up`` on a chroot sandbox (status, results, Prometheus, down)."""
    from aiinfra_iac.provision import sandbox
    from aiinfra_iac.provision.sandbox_status import where_to_look

    if not sandbox.uses_chroot_sandbox(plan):
        return
    err = stderr_console()
    for line in where_to_look(plan, state, str(file)):
        err.print(line, highlight=False)
