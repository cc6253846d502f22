"""``aiinfra sandbox fault FILE NODE (--rate R | --down | --clear)``: plant a fault in the sandbox.

Exit codes: 0 done, 2 usage (not a chroot sandbox, unknown node, no or several actions).
"""

from __future__ import annotations

from typing import Annotated

import typer

from aiinfra_iac.commands._common import BasesOption, BlueprintArgument, StateDirOption, fail, stderr_console
from aiinfra_iac.errors import EXIT_OK, AiinfraError, UsageError

app = typer.Typer(help="The local chroot sandbox: plant faults on its nodes.", no_args_is_help=True)


@app.command("fault")
def fault(
    file: BlueprintArgument,
    node: Annotated[str, typer.Argument(help="Sandbox node, e.g. compute-1.", show_default=False)],
    bases: BasesOption = None,
    rate: Annotated[str | None, typer.Option("--rate", help="Limit the node's link, e.g. 50mbit.")] = None,
    down: Annotated[bool, typer.Option("--down", help="Set the node's link down.")] = False,
    clear: Annotated[bool, typer.Option("--clear", help="Remove a limit and bring the link up.")] = False,
    state_dir: StateDirOption = None,
) -> None:
    """Limit a sandbox node's link (tc tbf), set it down, or clear both (0 ok, 2 usage)."""
    from aiinfra_iac.commands._planload import load_plan

    err = stderr_console()
    try:
        from aiinfra_iac.provision import engine, sandbox, sandbox_fault, sandbox_net

        if sum((rate is not None, down, clear)) != 1:
            raise UsageError("give exactly one of --rate RATE, --down or --clear")
        plan = load_plan(file, err)
        if not sandbox.uses_chroot_sandbox(plan):
            raise UsageError(
                f"{file}: faults apply to the chroot sandbox (provider: {{type: local, sandbox: chroot}})"
            )
        state = engine.usable_state_dir(state_dir)
        target = sandbox_net.require(plan, state).node(node)
        if rate is not None:
            sandbox_fault.limit_rate(target, rate)
        elif down:
            sandbox_fault.link_down(target)
        else:
            sandbox_fault.clear(target)
        err.print(f"{plan.name}: {node} ({target.address}) link now: {sandbox_fault.describe(target)}")
    except AiinfraError as error:
        fail(error)
    raise typer.Exit(EXIT_OK)
