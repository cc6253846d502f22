"""Shared pieces of the CLI commands: output formats, consoles, error reporting."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from aiinfra_iac.errors import AiinfraError
from aiinfra_iac.terminal import plain


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"


class PlanFormat(enum.StrEnum):
    text = "text"
    json = "json"
    markdown = "markdown"


def stderr_console() -> Console:
    """Progress, logs and human messages go to stderr so stdout stays machine-readable."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def stdout_console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def fail(error: AiinfraError) -> NoReturn:
    """Print an error's message on stderr and exit with its code (used inside commands)."""
    typer.echo(plain(error), err=True)
    sys.stdout.flush()
    raise typer.Exit(error.exit_code)


BlueprintArgument = Annotated[Path, typer.Argument(help="Blueprint YAML.", show_default=False)]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="Pulumi state and stage records (default: $AIINFRA_STATE_DIR or ~/.aiinfra/state).",
    ),
]
