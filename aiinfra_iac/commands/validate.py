"""``aiinfra validate FILE [--results DIR] [--format text|json] [--junit F] [--html F]``.

With ``--results DIR``: judge results already collected there. Without: run the checks (on the
nodes, or on this machine with the CPU fallback for provider ``local``) into a fresh results
directory (``~/.aiinfra/results/<cluster>/<UTC time>``, printed on stderr), then judge them.
Exit codes: 0 pass or warn, 1 fail (or an invalid blueprint), 2 usage, a missing directory or
a missing tool. ``--format json`` prints one document on stdout; progress goes to stderr.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from aiinfra_iac.commands._common import OutputFormat, StateDirOption, fail, stderr_console, stdout_console
from aiinfra_iac.commands._planload import load_plan
from aiinfra_iac.errors import EXIT_FAILED, EXIT_OK, AiinfraError, UsageError
from aiinfra_iac.plan.model import ClusterPlan


def default_results_dir(cluster: str, now: dt.datetime | None = None) -> Path:
    """``~/.aiinfra/results/<cluster>/<UTC time>``, or ``./aiinfra-results/…`` where home is not writable."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    home = Path.home() / ".aiinfra" / "results"
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path("aiinfra-results") / cluster / stamp
    return home / cluster / stamp


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


def _sandbox_nodes(plan: ClusterPlan, state_dir: Path | None) -> dict[str, Any] | None:
    """The running Slurm sandbox's nodes (validate runs inside them); None for any other cluster."""
    from aiinfra_iac.provision.engine import usable_state_dir
    from aiinfra_iac.provision.pipeline import sandbox_validation_nodes

    if plan.provider.sandbox != "chroot":
        return None
    return sandbox_validation_nodes(plan, usable_state_dir(state_dir))


def command(
    file: Annotated[Path, typer.Argument(help="Blueprint YAML of the cluster.", show_default=False)],
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
    burn_seconds: Annotated[
        float | None,
        typer.Option(
            "--burn-seconds", min=0.1, help="Override the burn duration (CPU fallback on provider local)."
        ),
    ] = None,
    state_dir: StateDirOption = None,
) -> None:
    """Measure the cluster (GPU burn, NCCL, RDMA, DCGM) or judge collected results (0 pass/warn, 1 fail)."""
    err = stderr_console()
    try:
        from aiinfra_iac.validate.reports.json_report import to_json
        from aiinfra_iac.validate.stage import run_validate

        if results is not None:
            _check_results_dir(results)
        plan = load_plan(file, err)
        results_dir = results if results is not None else default_results_dir(plan.name)
        if results is None:
            err.print(f"writing results to {results_dir}")
        verdict = run_validate(
            plan,
            results_dir,
            collect=results is None,
            console=err,
            burn_seconds=burn_seconds,
            sandbox_nodes=_sandbox_nodes(plan, state_dir),
        )
        if junit is not None:
            from aiinfra_iac.validate.reports.junit import to_junit

            _write(junit, to_junit(verdict), "JUnit report")
        if html is not None:
            from aiinfra_iac.validate.reports.html import render_html

            _write(html, render_html(plan, verdict, results_dir), "HTML report")
    except AiinfraError as error:
        fail(error)
    if format is OutputFormat.json:
        typer.echo(to_json(verdict), nl=False)
    else:
        from aiinfra_iac.validate.reports.table import print_verdict

        print_verdict(verdict, stdout_console())
    raise typer.Exit(EXIT_FAILED if verdict.verdict == "fail" else EXIT_OK)
