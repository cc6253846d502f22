"""Shared by ``plan``, ``up``, ``down`` and ``diff``: load a blueprint into a plan, report problems.

An invalid blueprint prints the same compiler-style report as ``aiinfra check`` (on stderr,
so stdout stays free for ``--format json``) and exits 1; warnings are printed and ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from aiinfra_iac.errors import EXIT_FAILED, BlueprintError

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
