"""The ``aiinfra`` command line: a thin typer app.

Each command lives in :mod:`aiinfra_iac.commands` in a module of its own; those modules
import only light dependencies at import time, so ``aiinfra --help`` never loads pulumi or
ansible. Every :class:`~aiinfra_iac.errors.AiinfraError` becomes its message on stderr and
its exit code; no traceback reaches the user for bad input.
"""

from __future__ import annotations

import os
import sys

# Plain (click-style) help: rendering it with rich costs more than importing typer and pydantic
# together (benchmarks/bench_cli.py); TYPER_USE_RICH=1 brings the boxed help back.
os.environ.setdefault("TYPER_USE_RICH", "0")

import typer

from aiinfra_iac import __version__
from aiinfra_iac.commands import (
    catalog,
    check,
    diff,
    down,
    explain,
    plan,
    preflight,
    schema,
    status,
    up,
    validate,
)
from aiinfra_iac.commands import sandbox as sandbox_cmd
from aiinfra_iac.errors import EXIT_INTERRUPTED, AiinfraError

app = typer.Typer(
    name="aiinfra",
    help="Turn one typed blueprint into a provisioned, configured and measured AI training cluster.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"aiinfra {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """aiinfra: check, plan, up, validate, diff and down an AI cluster from one blueprint."""


app.command("check")(check.command)
app.command("schema")(schema.command)
app.command("plan")(plan.command)
app.command("up")(up.command)
app.command("down")(down.command)
app.command("validate")(validate.command)
app.command("diff")(diff.command)
app.command("preflight")(preflight.command)
app.command("status")(status.command)
app.add_typer(sandbox_cmd.app, name="sandbox")
app.command("explain")(explain.command)
app.add_typer(catalog.app, name="catalog")


def main() -> None:
    """Console-script entry point."""
    try:
        app(standalone_mode=True)
    except AiinfraError as error:
        typer.echo(str(error), err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        typer.echo("aiinfra: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)


if __name__ == "__main__":
    main()
