"""``aiinfra diff FILE [--detailed-exitcode] [--format text|json] [--state-dir DIR]``: desired vs deployed.

Two comparisons: the cloud/Kubernetes side (a Pulumi refresh + preview of the stack, so drift made
outside Pulumi shows) and the node configuration (the configure stage in Ansible check mode,
against the nodes of the deployment record — the inventory ``up`` applied).
Exit codes: 0 no changes (or changes without ``--detailed-exitcode``), 1 error (a usage error
or a missing tool included: 2 means only "changes present", as ``terraform plan
-detailed-exitcode`` does), 2 changes present (with ``--detailed-exitcode``), 3 nodes unreachable,
130 interrupted. ``--format json`` prints one document on stdout (``schemaVersion``, ``cluster``,
``changesPresent``, ``cloud``, ``nodes``); an invalid blueprint prints the check document there.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aiinfra_iac.commands._common import (
    BasesOption,
    BlueprintArgument,
    OutputFormat,
    StateDirOption,
    fail,
    on_interrupt,
    stderr_console,
    stdout_console,
)
from aiinfra_iac.errors import EXIT_CHANGES_PRESENT, EXIT_FAILED, EXIT_OK, AiinfraError
from aiinfra_iac.terminal import markup


def command(
    file: BlueprintArgument,
    bases: BasesOption = None,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 2 when there are changes (0 when none).")
    ] = False,
    state_dir: StateDirOption = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="text or json (one document on stdout).")
    ] = (OutputFormat.text),
) -> None:
    """Show what differs between the blueprint and the cluster.

    Exit codes: 0 none, 1 error, 2 changes present (with --detailed-exitcode), 3 unreachable, 130 interrupted.
    """
    from aiinfra_iac.commands._planload import exit_if_invalid_json, load_plan

    err = stderr_console()
    out = stdout_console()
    if format is OutputFormat.json:
        exit_if_invalid_json(file, unreadable_code=EXIT_FAILED)  # 2 means "changes present" here
    try:
        with on_interrupt("diff"):
            from aiinfra_iac.lifecycle.diffing import diff_cluster

            plan = load_plan(file, err)
            report = diff_cluster(plan, state=state_dir, console=err)
    except AiinfraError as error:
        if error.exit_code == EXIT_CHANGES_PRESENT:
            typer.echo(str(error), err=True)
            raise typer.Exit(EXIT_FAILED) from error
        fail(error)
    if format is OutputFormat.json:
        typer.echo(json.dumps(report.as_json(), indent=2))
    else:
        for line in report.lines():
            out.print(markup(line), highlight=False)
    if detailed_exitcode and report.changes_present:
        raise typer.Exit(EXIT_CHANGES_PRESENT)
    raise typer.Exit(EXIT_OK)
