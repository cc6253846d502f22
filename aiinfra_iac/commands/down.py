"""``aiinfra down FILE [--yes] [--purge-retained] [--confirm NAME] [--state-dir DIR]``.

Destroys what ``up`` created. Storage with ``retain: true`` (default for S3 and persistent FSx) is
kept, with the resources it depends on; ``down`` lists every resource that stays and why.
``--purge-retained`` deletes the retained storage too, after the cluster's name is typed (or
given with ``--confirm NAME`` where there is no terminal). Runner artifacts and the deployment
record are removed; validation results stay. Running ``down`` twice is harmless.
Exit codes: 0 done, 1 failed (or the stack is locked), 2 usage or a missing tool, 130 interrupted.
"""

from __future__ import annotations

from typing import Annotated

import typer

from aiinfra_iac.commands._common import (
    BasesOption,
    BlueprintArgument,
    StateDirOption,
    YesOption,
    fail,
    on_interrupt,
    stderr_console,
)
from aiinfra_iac.errors import EXIT_OK, AiinfraError, UsageError


def confirm_purge(cluster: str, retained: list[str], given: str | None) -> None:
    """The cluster's name, typed (or ``--confirm NAME``), before retained data is deleted."""
    from aiinfra_iac.commands.up import interactive

    what = ", ".join(retained) or "the retained storage"
    if given is None:
        if not interactive():
            raise UsageError(
                f"--purge-retained deletes {what} and its data: pass --confirm {cluster} to confirm "
                "without a terminal"
            )
        given = typer.prompt(f"This deletes {what} and its data. Type the cluster name ({cluster})", err=True)
    if given != cluster:
        raise UsageError(f"confirmation {given!r} is not the cluster name {cluster!r}: nothing was deleted")


def command(
    file: BlueprintArgument,
    bases: BasesOption = None,
    yes: YesOption = False,
    purge_retained: Annotated[
        bool,
        typer.Option(
            "--purge-retained", help="Also delete storage kept by retain: true (asks for the name)."
        ),
    ] = False,
    confirm: Annotated[
        str | None, typer.Option("--confirm", help="The cluster name, confirming --purge-retained.")
    ] = None,
    state_dir: StateDirOption = None,
) -> None:
    """Destroy a cluster; retained storage (and what it depends on) is kept and listed.

    Exit codes: 0 done, 1 failed or stack locked, 2 usage/missing tool, 130 interrupted.
    """
    from aiinfra_iac.commands._planload import load_plan
    from aiinfra_iac.commands.up import confirm_or_exit

    err = stderr_console()
    try:
        with on_interrupt("down"):
            from aiinfra_iac.deployment.paths import stack_dir, stack_name, usable_state_dir
            from aiinfra_iac.lifecycle.lock import stack_lock
            from aiinfra_iac.lifecycle.teardown import tear_down
            from aiinfra_iac.provision import engine
            from aiinfra_iac.provision.common import retained_storage
            from aiinfra_iac.provision.providers import provider_for

            plan = load_plan(file, err)
            state = usable_state_dir(state_dir)
            cloud = provider_for(plan).creates_cloud_resources
            if cloud:
                engine.require_pulumi_cli()
                engine.require_passphrase()
            kept = retained_storage(plan)
            if purge_retained:
                confirm_purge(plan.name, kept, confirm)
                question = f"Destroy {plan.name} and delete its retained storage?"
            else:
                keeps = "; keeps " + ", ".join(kept) if kept else ""
                question = f"Destroy {plan.name}{keeps}?"
            from aiinfra_iac.provision import sandbox

            has_nodes = sandbox.uses_chroot_sandbox(plan) and sandbox.sandbox_dir(plan, state).exists()
            confirm_or_exit(question, yes or not (cloud or has_nodes))
            with stack_lock(stack_dir(state, plan), stack_name(plan), "down"):
                done = tear_down(
                    plan,
                    state,
                    err,
                    engine_factory=lambda p: engine.Engine(
                        p, state=state, progress=lambda line: err.out(line.rstrip("\n"), highlight=False)
                    ),
                    purge_retained=purge_retained,
                )
    except AiinfraError as error:
        fail(error)
    for line in done.lines(plan.name):
        err.print(line, highlight=False)
    raise typer.Exit(EXIT_OK)
