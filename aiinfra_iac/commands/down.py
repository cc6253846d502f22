"""``aiinfra down FILE [--yes] [--state-dir DIR]``: destroy what ``up`` created.

Storage with ``retain: true`` (the default) is protected in the stack and kept: the destroy
runs with ``excludeProtected`` and the kept file systems and buckets are listed by name.
On-prem and local clusters have nothing to destroy; a local ``sandbox: chroot`` cluster has its
node roots removed (listed by name). The stage record is reset either way.
Exit codes: 0 destroyed, 1 failed, 2 usage or a missing tool.
"""

from __future__ import annotations

import typer

from aiinfra_iac.commands._common import BlueprintArgument, StateDirOption, YesOption, fail, stderr_console
from aiinfra_iac.errors import EXIT_OK, AiinfraError


def command(
    file: BlueprintArgument,
    yes: YesOption = False,
    state_dir: StateDirOption = None,
) -> None:
    """Destroy a cluster; storage with retain: true is kept and listed (0 ok, 1 failed)."""
    from aiinfra_iac.commands._planload import load_plan
    from aiinfra_iac.commands.up import confirm_or_exit

    err = stderr_console()
    try:
        from aiinfra_iac.provision import engine, sandbox
        from aiinfra_iac.provision.common import retained_storage
        from aiinfra_iac.provision.providers import provider_for
        from aiinfra_iac.provision.stages import StageRecord

        plan = load_plan(file, err)
        provider = provider_for(plan)
        state = engine.usable_state_dir(state_dir)
        if sandbox.uses_chroot_sandbox(plan):
            if sandbox.sandbox_dir(plan, state).exists():
                confirm_or_exit(f"Remove the sandbox nodes of {plan.name}?", yes)
            from aiinfra_iac.provision.sandbox_cluster import teardown

            removed = teardown(plan, state)
            StageRecord.load(state, plan).reset()
            where = sandbox.sandbox_dir(plan, state)
            if not removed:
                err.print(f"{plan.name}: no sandbox in {where}; nothing to remove.")
            for line in removed:
                err.print(f"{plan.name}: removed {line}")
            raise typer.Exit(EXIT_OK)
        if not provider.creates_cloud_resources:
            StageRecord.load(state, plan).reset()
            err.print(
                f"{plan.name}: provider {plan.provider.type} provisions no resources; nothing to destroy."
            )
            raise typer.Exit(EXIT_OK)
        engine.require_pulumi_cli()
        engine.require_passphrase()
        kept = retained_storage(plan)
        keeping = f"; keeps {', '.join(kept)}" if kept else ""
        confirm_or_exit(f"Destroy {plan.name}{keeping}?", yes)
        stack = engine.Engine(
            plan, state=state, progress=lambda line: err.out(line.rstrip("\n"), highlight=False)
        )
        summary, kept = stack.destroy()
        StageRecord.load(state, plan).reset()
    except AiinfraError as error:
        fail(error)
    err.print(f"{plan.name}: destroyed ({summary.describe()}).")
    if kept:
        err.print(
            f"kept (retain: true): {', '.join(kept)} — delete them in AWS when the data is no longer needed."
        )
    raise typer.Exit(EXIT_OK)
