"""``aiinfra plan FILE [--format text|json|markdown]``: what ``up`` would create, offline.

Runs the same Pulumi components as ``up`` under Pulumi's mocks (no credentials, no Pulumi
CLI, no network) and adds the per-pool configuration and the validation checks. JSON is one
document on stdout (DESIGN.md's shape); markdown is meant for a pull-request comment.
Exit codes: 0, 1 invalid blueprint, 2 unreadable file.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from aiinfra_iac.commands._common import BlueprintArgument, PlanFormat, fail, stderr_console, stdout_console
from aiinfra_iac.errors import EXIT_OK, AiinfraError


def command(
    file: BlueprintArgument,
    format: Annotated[
        PlanFormat, typer.Option("--format", help="text, json (one document on stdout) or markdown.")
    ] = (PlanFormat.text),
) -> None:
    """Show the resources, configuration and validation checks of a blueprint, offline (0 ok, 1 invalid)."""
    from aiinfra_iac.commands._planload import load_plan

    err = stderr_console()
    try:
        from aiinfra_iac.lifecycle.document import plan_document

        plan = load_plan(file, err)
        document = plan_document(plan)
    except AiinfraError as error:
        fail(error)
    if format is PlanFormat.json:
        typer.echo(json.dumps(document, indent=2))
    elif format is PlanFormat.markdown:
        from aiinfra_iac.lifecycle.plan_report import render_markdown

        typer.echo(render_markdown(document), nl=False)
    else:
        from aiinfra_iac.lifecycle.plan_report import print_text

        print_text(stdout_console(), document)
    raise typer.Exit(EXIT_OK)
