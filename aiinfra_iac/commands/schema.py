"""``aiinfra schema [--output FILE]``: the JSON Schema (draft 2020-12) of the blueprint format.

Editors (VS Code YAML, IntelliJ) use it for completion, hover text and inline errors; bases
and fragments validate too (nothing but ``apiVersion``/``kind`` is required before the
``extends:`` merge). The schema only knows shapes, types and ranges — ``aiinfra check``
adds completeness after the merge and the cross-field and catalog checks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from aiinfra_iac.errors import EXIT_USAGE


def blueprint_schema() -> dict[str, Any]:
    """The schema as a dict (see :mod:`aiinfra_iac.blueprint.schema_gen`)."""
    from aiinfra_iac.blueprint.schema_gen import blueprint_schema as build

    return build()


def schema_text() -> str:
    return json.dumps(blueprint_schema(), indent=2, sort_keys=False) + "\n"


def command(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the schema to FILE instead of stdout.")
    ] = None,
) -> None:
    """Print (or write) the JSON Schema (2020-12) of the blueprint format."""
    text = schema_text()
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        typer.echo(f"cannot write {output}: {error.strerror}", err=True)
        raise typer.Exit(EXIT_USAGE) from error
    typer.echo(f"wrote {output}", err=True)
