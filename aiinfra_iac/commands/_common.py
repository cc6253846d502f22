"""Shared pieces of the CLI commands: output formats, consoles, error reporting."""

from __future__ import annotations

import enum
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from aiinfra_iac.errors import AiinfraError, Interrupted
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


def _sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def on_interrupt(command: str) -> Iterator[None]:
    """SIGTERM behaves as Ctrl-C; an interrupt that no stage turned into :class:`Interrupted`
    becomes one here (exit 130, one line), after the tracked worker process groups are killed.
    The previous SIGTERM handler is put back afterwards."""
    from aiinfra_iac.childproc import kill_tracked, restored_signals

    with restored_signals():
        signal.signal(signal.SIGTERM, _sigterm)
        try:
            yield
        except KeyboardInterrupt:
            killed = kill_tracked()
            workers = f"; stopped {len(killed)} worker process group(s)" if killed else ""
            raise Interrupted(f"`aiinfra {command}` interrupted{workers}") from None


BlueprintArgument = Annotated[Path, typer.Argument(help="Blueprint YAML.", show_default=False)]


def allow_bases(ctx: typer.Context, bases: list[Path] | None) -> list[Path] | None:
    """``--bases DIR…``: the directories outside the repository that ``extends:`` may read, added in
    front of ``$AIINFRA_BASES`` while the command runs (and for the children it starts), so every
    loader of the command — plan, configure, validate, diff — confines ``extends:`` the same way.
    The earlier value comes back when the command ends (one process may run several commands)."""
    from aiinfra_iac.blueprint.confine import BASES_ENV

    if bases:
        before = os.environ.get(BASES_ENV)
        current = [p for p in (before or "").split(os.pathsep) if p.strip()]
        os.environ[BASES_ENV] = os.pathsep.join([*(str(b.resolve()) for b in bases), *current])
        ctx.call_on_close(lambda: _restore_env(BASES_ENV, before))
    return bases


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


BasesOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--bases",
        metavar="DIR",
        callback=allow_bases,
        help="Directory outside the repository that extends: may read (repeatable; also $AIINFRA_BASES).",
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="State folder: Pulumi backend, deployment record, stage records, runner artifacts, results "
        "(default: $AIINFRA_STATE_DIR or ~/.aiinfra/state).",
    ),
]
ResultsDirOption = Annotated[
    Path | None,
    typer.Option(
        "--results-dir",
        help="Where this run writes its validation results (default: <state>/<stack>/results/<UTC time>).",
    ),
]
