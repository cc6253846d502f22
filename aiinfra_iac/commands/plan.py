"""``aiinfra plan FILE [--format text|json|markdown] [--compare OLD.json]``: what ``up`` would create.

Runs the same Pulumi components as ``up`` under Pulumi's mocks (no credentials, no Pulumi
CLI, no network) and adds the per-pool configuration, the validation checks and a review
section (per pool GPU, fabric, rails, NCCL env, driver, QoS, thresholds, cost caveats). JSON
is one document on stdout (DESIGN.md's shape plus ``schemaVersion`` and ``review``); markdown
is meant for a pull-request comment. ``--compare`` adds what changed against an older plan
JSON (e.g. the plan on main). With ``--format json`` an invalid blueprint prints the check
document (``ok: false``) on stdout. Exit codes: 0, 1 invalid blueprint, 2 unreadable file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from aiinfra_iac.commands._common import (
    BasesOption,
    BlueprintArgument,
    PlanFormat,
    fail,
    stderr_console,
    stdout_console,
)
from aiinfra_iac.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, AiinfraError, BlueprintError


def _read_old(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        typer.echo(f"--compare {path}: cannot read a plan JSON document: {error}", err=True)
        raise typer.Exit(EXIT_USAGE) from error
    if not isinstance(data, dict) or "resources" not in data:
        typer.echo(f"--compare {path}: not a plan document (aiinfra plan --format json)", err=True)
        raise typer.Exit(EXIT_USAGE)
    return data


def _suppressed(file: Path) -> list[dict[str, str]]:
    from aiinfra_iac.blueprint import load_blueprint

    return [{"id": s.id, "reason": s.reason} for s in load_blueprint(file).blueprint.spec.suppress]


def command(
    file: BlueprintArgument,
    bases: BasesOption = None,
    format: Annotated[
        PlanFormat, typer.Option("--format", help="text, json (one document on stdout) or markdown.")
    ] = (PlanFormat.text),
    compare: Annotated[
        Path | None,
        typer.Option("--compare", help="An older plan JSON to compare with (e.g. the plan on main)."),
    ] = None,
) -> None:
    """Show the resources, configuration and validation checks of a blueprint, offline (0 ok, 1 invalid)."""
    from aiinfra_iac.commands._planload import exit_if_invalid_json, load_plan

    err = stderr_console()
    old = _read_old(compare) if compare is not None else None
    if format is PlanFormat.json:
        exit_if_invalid_json(file)
    try:
        from aiinfra_iac.lifecycle.document import plan_document

        plan = load_plan(file, err)
        document = plan_document(plan, suppressed=_suppressed(file))
    except BlueprintError as error:  # pragma: no cover - load_plan reports these itself
        fail(error)
    except AiinfraError as error:
        fail(error)
    changes = None
    if old is not None:
        from aiinfra_iac.plan.compare import compare as compare_documents

        changes = compare_documents(old, document)
    if format is PlanFormat.json:
        typer.echo(json.dumps(document if changes is None else {**document, "compare": changes}, indent=2))
    elif format is PlanFormat.markdown:
        from aiinfra_iac.lifecycle.plan_report import render_markdown

        text = render_markdown(document)
        if changes is not None:
            from aiinfra_iac.plan.compare import compare_lines

            text += "\n#### Changes against " + f"`{compare}`\n\n" + "\n".join(compare_lines(changes)) + "\n"
        typer.echo(text, nl=False)
    else:
        from aiinfra_iac.lifecycle.plan_report import print_text

        console = stdout_console()
        print_text(console, document)
        if changes is not None:
            from aiinfra_iac.plan.compare import compare_lines

            console.print(f"Changes against {compare}:", highlight=False, markup=False)
            for line in compare_lines(changes):
                console.print(line.replace("`", ""), highlight=False, markup=False)
    raise typer.Exit(EXIT_OK if document else EXIT_FAILED)
