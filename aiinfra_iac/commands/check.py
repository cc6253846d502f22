"""``aiinfra check FILE… [--format text|json]``: load and check blueprints, no network.

Exit codes: 0 every file is valid (warnings allowed), 1 at least one error, 2 a file could
not be read. Text output (problems with the offending YAML line, then a summary) and JSON
output both go to stdout, so ``aiinfra check … > report`` keeps the report; nothing else
is printed there.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from aiinfra_iac.commands._common import BasesOption, OutputFormat, stdout_console
from aiinfra_iac.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, BlueprintError, Problem


def check_files(
    files: list[Path], bases: list[Path] | None = None, warnings_as_errors: bool = False
) -> tuple[list[Problem], int]:
    """Load and check every file; return all problems and the exit code.

    ``warnings_as_errors`` turns every (not suppressed) warning into an error: for pipelines
    that accept a warning only with a ``spec.suppress`` entry and its reason.
    """
    from aiinfra_iac.blueprint import load_blueprint, run_checks
    from aiinfra_iac.blueprint.yaml_source import UnreadableFileError

    problems: list[Problem] = []
    unreadable = False
    for path in files:
        try:
            problems.extend(run_checks(load_blueprint(path, bases=bases or [])))
        except UnreadableFileError as error:
            unreadable = True
            problems.append(error.problem)
        except BlueprintError as error:
            problems.extend(error.problems)
    if warnings_as_errors:
        problems = [dataclasses.replace(p, level="error") for p in problems]
    if unreadable:
        return problems, EXIT_USAGE
    return problems, EXIT_FAILED if any(p.level == "error" for p in problems) else EXIT_OK


def command(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="Blueprint YAML files to check.", show_default=False)
    ],
    format: Annotated[
        OutputFormat, typer.Option("--format", help="text or json (one document on stdout).")
    ] = (OutputFormat.text),
    bases: BasesOption = None,
    warnings_as_errors: Annotated[
        bool,
        typer.Option("--warnings-as-errors", help="Fail (exit 1) on warnings not accepted in spec.suppress."),
    ] = False,
) -> None:
    """Check blueprints: schema, extends, cross-field and catalog rules (0 ok, 1 invalid, 2 unreadable)."""
    from aiinfra_iac.blueprint.report import json_report, print_text_report

    problems, code = check_files(files, bases, warnings_as_errors)
    if format is OutputFormat.json:
        typer.echo(json_report(problems))
    else:
        print_text_report(stdout_console(), problems, [str(f) for f in files])
    raise typer.Exit(code)
