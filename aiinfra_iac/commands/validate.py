"""``aiinfra validate FILE [--results DIR | --results-dir DIR] [--state-dir DIR] [--format …] [--junit F]``.

With ``--results DIR``: judge results already collected there. Without: run the checks on the
nodes of the deployment record that ``up`` wrote (the nodes ``up`` configured; on-prem hosts and
this machine need no record), or on this machine with the CPU fallback for provider ``local``,
into a fresh results directory — ``<state>/<stack>/results/<UTC time>``, as ``up`` uses, or
``--results-dir`` — printed on stderr, then judge them.
Exit codes: 0 pass or warn, 1 fail (or an invalid blueprint), 2 usage, a missing directory, a
missing tool or no deployment record, 3 nodes unreachable or missing a tool
(``<node>/unreachable.json``), 130 interrupted. ``--format json``
prints one document on stdout; progress goes to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aiinfra_iac.commands._common import (
    BasesOption,
    OutputFormat,
    ResultsDirOption,
    StateDirOption,
    fail,
    on_interrupt,
    stderr_console,
    stdout_console,
)
from aiinfra_iac.commands._planload import load_plan
from aiinfra_iac.errors import EXIT_FAILED, EXIT_OK, AiinfraError, NodesUnreachable, UsageError


def _write(path: Path, text: str, what: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write the {what} to {path}: {error.strerror or error}") from error


def _check_results_dir(results: Path) -> None:
    """A usage error (exit 2) unless ``--results`` names an existing directory."""
    if results.is_dir():
        return
    if results.exists():
        raise UsageError(
            f"--results {results}: is a file, not a directory — pass the results directory "
            "(DIR/<node>/…, DIR/_cluster/…), not one log"
        )
    raise UsageError(f"--results {results}: no such directory")


def command(
    file: Annotated[Path, typer.Argument(help="Blueprint YAML of the cluster.", show_default=False)],
    bases: BasesOption = None,
    results: Annotated[
        Path | None,
        typer.Option(
            "--results", help="Judge the results already collected in DIR instead of running the tests."
        ),
    ] = None,
    format: Annotated[
        OutputFormat, typer.Option("--format", help="text or json (one document on stdout).")
    ] = (OutputFormat.text),
    junit: Annotated[Path | None, typer.Option("--junit", help="Also write a JUnit XML report here.")] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write an HTML report with plots here.")
    ] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every check in the text table (large fleets are summarised).")
    ] = False,
    burn_seconds: Annotated[
        float | None,
        typer.Option(
            "--burn-seconds", min=0.1, help="Override the burn duration (CPU fallback on provider local)."
        ),
    ] = None,
    results_dir: ResultsDirOption = None,
    state_dir: StateDirOption = None,
) -> None:
    """Measure the cluster (GPU burn, NCCL, RDMA, DCGM) or judge collected results.

    Exit codes: 0 pass/warn, 1 fail, 2 usage/missing tool, 3 unreachable, 130 interrupted.
    """
    err = stderr_console()
    if format is OutputFormat.json:
        from aiinfra_iac.commands._planload import exit_if_invalid_json

        exit_if_invalid_json(file)
    try:
        with on_interrupt("validate"):
            from aiinfra_iac.deployment.paths import new_results_dir, usable_state_dir, validate_dir
            from aiinfra_iac.lifecycle.up_stages import current_deployment
            from aiinfra_iac.validate.reports.json_report import to_json
            from aiinfra_iac.validate.stage import run_validate

            if results is not None:
                if results_dir is not None:
                    raise UsageError(
                        "--results judges results already collected; --results-dir is where a run "
                        "writes new ones: give one of them"
                    )
                _check_results_dir(results)
            plan = load_plan(file, err)
            deployment = None
            work_dir = None
            if results is None:
                state = usable_state_dir(state_dir)
                deployment = current_deployment(plan, state)
                work_dir = validate_dir(state, plan)
                where = results_dir or new_results_dir(state, plan)
                err.print(
                    f"validating {len(deployment.nodes) or 'the'} node(s) of deployment {deployment.stack} "
                    f"({deployment.provider}); writing results to {where}"
                )
            else:
                where = results
            verdict = run_validate(
                plan,
                where,
                collect=results is None,
                console=err,
                burn_seconds=burn_seconds,
                deployment=deployment,
                work_dir=work_dir,
            )
        if junit is not None:
            from aiinfra_iac.validate.reports.junit import to_junit

            _write(junit, to_junit(verdict), "JUnit report")
        if html is not None:
            from aiinfra_iac.validate.reports.html import render_html

            _write(html, render_html(plan, verdict, where), "HTML report")
    except AiinfraError as error:
        fail(error)
    if format is OutputFormat.json:
        typer.echo(to_json(verdict), nl=False)
    else:
        from aiinfra_iac.validate.reports.table import print_verdict

        print_verdict(verdict, stdout_console(), show_all=show_all)
    if verdict.unreachable:  # after the reports: the causes first on stderr, then exit 3
        lost = NodesUnreachable(
            "validate", [(c.node, c.detail.removeprefix("unreachable: ")) for c in verdict.unreachable]
        )
        err.print(str(lost), markup=False, highlight=False)
        raise typer.Exit(lost.exit_code)
    raise typer.Exit(EXIT_FAILED if verdict.verdict == "fail" else EXIT_OK)
