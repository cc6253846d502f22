"""Shared by ``plan``, ``up``, ``down`` and ``diff``: load a blueprint into a plan, report problems.

An invalid blueprint prints the same compiler-style report as ``aiinfra check`` (on stderr,
so stdout stays free for ``--format json``) and exits 1; warnings are printed and ignored.
With ``--format json`` a command first calls :func:`exit_if_invalid_json`, so a pipeline reading
stdout gets the check document (``ok: false``) instead of nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from aiinfra_iac.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, BlueprintError

if TYPE_CHECKING:  # the models load only when a command runs: `aiinfra --help` stays fast
    from rich.console import Console

    from aiinfra_iac.plan.model import ClusterPlan


def load_plan(file: Path, console: Console) -> ClusterPlan:
    """``plan_from_file`` with check-style error output; raises ``typer.Exit(1)`` when invalid."""
    from aiinfra_iac.blueprint.report import print_text_report
    from aiinfra_iac.plan import plan_from_file

    try:
        plan, warnings = plan_from_file(file)
    except BlueprintError as error:
        print_text_report(console, error.problems, [str(file)])
        raise typer.Exit(EXIT_FAILED) from error
    from aiinfra_iac.terminal import markup

    for warning in warnings:
        where = f"{warning.file}:{warning.line}: " if warning.file and warning.line else ""
        text = f"{where}warning {warning.id} {warning.loc}: {warning.message}"
        console.print(markup(text), highlight=False)
    return plan


def exit_if_invalid_json(file: Path, unreadable_code: int = EXIT_USAGE) -> None:
    """For ``--format json``: when ``file`` fails ``check``, print the report on stderr and the
    check JSON document (``schemaVersion``, ``ok: false``) on stdout, then exit as ``check`` does
    (1 invalid; ``unreadable_code``, 2 by default, when the file cannot be read)."""
    from aiinfra_iac.blueprint.report import json_report, print_text_report
    from aiinfra_iac.commands._common import stderr_console
    from aiinfra_iac.commands.check import check_files

    problems, code = check_files([file])
    if code != EXIT_OK:
        print_text_report(stderr_console(), problems, [str(file)])
        typer.echo(json_report(problems))
        raise typer.Exit(unreadable_code if code == EXIT_USAGE else code)
