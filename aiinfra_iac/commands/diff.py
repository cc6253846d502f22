"""``aiinfra diff FILE [--detailed-exitcode] [--state-dir DIR]``: desired vs deployed.

Two comparisons: the cloud/Kubernetes side (a Pulumi preview of the stack) and the node
configuration (the configure stage in Ansible check mode). Exit codes: 0 no error (and, with
``--detailed-exitcode``, no changes), 1 error, 2 changes present (only with
``--detailed-exitcode``) or a usage error / missing tool. With ``--detailed-exitcode`` a
pipeline reads 2 as "drift", so there every error — a missing Pulumi CLI or an unreadable
file included — exits 1 (as ``terraform plan -detailed-exitcode`` does).
"""

from __future__ import annotations

from typing import Annotated

import typer

from aiinfra_iac.commands._common import (
    BlueprintArgument,
    StateDirOption,
    fail,
    stderr_console,
    stdout_console,
)
from aiinfra_iac.errors import EXIT_CHANGES_PRESENT, EXIT_FAILED, EXIT_OK, AiinfraError
from aiinfra_iac.terminal import markup


def command(
    file: BlueprintArgument,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes (0 when none).")
    ] = False,
    state_dir: StateDirOption = None,
) -> None:
    """Show what differs between the blueprint and the cluster (0 none, 1 error, 2 changes)."""
    from aiinfra_iac.commands._planload import load_plan

    err = stderr_console()
    out = stdout_console()
    try:
        from aiinfra_iac.provision.diffing import diff_cluster

        plan = load_plan(file, err)
        report = diff_cluster(plan, state=state_dir, console=err)
    except AiinfraError as error:
        if detailed_exitcode and error.exit_code == EXIT_CHANGES_PRESENT:
            typer.echo(str(error), err=True)
            raise typer.Exit(EXIT_FAILED) from error
        fail(error)
    for line in report.lines():
        out.print(markup(line), highlight=False)
    if detailed_exitcode and report.changes_present:
        raise typer.Exit(EXIT_CHANGES_PRESENT)
    raise typer.Exit(EXIT_OK)
