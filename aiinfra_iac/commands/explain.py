"""``aiinfra explain FILE [FIELD] [--defaults] [--format text|json]``: the merged blueprint, value by value.

Each line is a field path, its value after the ``extends:`` merge and the ``file:line`` it
was written at, so it is clear which base a value comes from. FIELD narrows the list to a
path and what is under it, e.g. ``spec.fabrics[0]``. Exit codes: 0, 1 invalid blueprint or
FIELD matching nothing, 2 unreadable file; with ``--format json`` a blueprint that does not load
prints the check document (``ok: false``) on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from aiinfra_iac.commands._common import BasesOption, BlueprintArgument, OutputFormat, fail, stdout_console
from aiinfra_iac.errors import EXIT_FAILED, AiinfraError

EXPLAIN_SCHEMA_VERSION = 1


def _where(file: str | None, line: int | None) -> str:
    if file is None:
        return "(default)"
    return f"{file}:{line}" if line is not None else file


def _report_json(error: AiinfraError, file: Path) -> None:
    """With --format json, a blueprint that does not load prints the check document (``ok: false``)
    on stdout and its report on stderr; exit 1 (2 unreadable). Rules (AI1xx) are not run:
    explain serves to fix a blueprint they refuse."""
    from aiinfra_iac.blueprint.report import json_report, print_text_report
    from aiinfra_iac.blueprint.yaml_source import UnreadableFileError
    from aiinfra_iac.commands._common import stderr_console
    from aiinfra_iac.errors import BlueprintError

    if isinstance(error, UnreadableFileError):
        problems = [error.problem]
    elif isinstance(error, BlueprintError):
        problems = list(error.problems)
    else:
        return
    print_text_report(stderr_console(), problems, [str(file)])
    typer.echo(json_report(problems))
    raise typer.Exit(error.exit_code)


def command(
    file: BlueprintArgument,
    bases: BasesOption = None,
    field: Annotated[
        str | None, typer.Argument(help="Field path, e.g. spec.nodePools[0] (default: everything).")
    ] = None,
    defaults: Annotated[
        bool, typer.Option("--defaults", help="Also list the values filled in by defaults.")
    ] = False,
    format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = (OutputFormat.text),
) -> None:
    """Show the merged blueprint with the file:line each value comes from (0 ok, 1 invalid)."""
    from aiinfra_iac.blueprint import load_blueprint
    from aiinfra_iac.blueprint.explain import explain

    try:
        origins = explain(load_blueprint(Path(file)), field, defaults)
    except AiinfraError as error:
        if format is OutputFormat.json:
            _report_json(error, file)
        fail(error)
    if format is OutputFormat.json:
        document = {
            "schemaVersion": EXPLAIN_SCHEMA_VERSION,
            "file": str(file),
            "values": [o.as_json() for o in origins],
        }
        typer.echo(json.dumps(document, indent=2))
    else:
        from rich.markup import escape

        console = stdout_console()
        for origin in origins:
            text = f"{origin.loc} = {json.dumps(origin.value)}"
            console.print(f"{escape(text)}  [dim]# {escape(_where(origin.file, origin.line))}[/dim]")
    if field and not origins:
        typer.echo(f"{field}: no such field in {file} (try without FIELD to list them all)", err=True)
        raise typer.Exit(EXIT_FAILED)
