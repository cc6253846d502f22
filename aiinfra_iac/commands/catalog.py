"""``aiinfra catalog list [gpus|instances|nics|systems] [--format text|json] [--blueprint FILE]``.

The catalog's facts: built-in, plus ``$AIINFRA_CATALOG``, plus with ``--blueprint`` that
blueprint's ``spec.catalog`` file. Every row carries its public source, so a reviewer can verify
a number before trusting a threshold derived from it. Exit codes: 0, 1 invalid blueprint or
catalog entry, 2 unknown section or unreadable blueprint.
"""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aiinfra_iac.commands._common import BasesOption, OutputFormat, fail, stdout_console
from aiinfra_iac.errors import EXIT_FAILED, BlueprintError, UsageError

if TYPE_CHECKING:  # `aiinfra --help` must not load the models (tests/test_cli_imports.py)
    from aiinfra_iac.catalog.types import Catalog

CATALOG_SCHEMA_VERSION = 1

app = typer.Typer(
    help="The hardware catalog: GPUs, AWS instance types, NICs, DGX systems.", no_args_is_help=True
)


class Section(enum.StrEnum):
    gpus = "gpus"
    instances = "instances"
    nics = "nics"
    systems = "systems"


def rows(section: Section, catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """The catalog section as JSON-ready rows, sorted by name (default: built-in + $AIINFRA_CATALOG)."""
    from aiinfra_iac.catalog import load_catalog

    catalog = catalog or load_catalog()
    if section is Section.gpus:
        return [
            {
                "id": g.id,
                "aliases": list(g.aliases),
                "architecture": g.architecture,
                "memoryGiB": g.memory_gib,
                "nvlinkGBps": g.nvlink_gbps,
                "source": g.sources[0] if g.sources else None,
            }
            for g in sorted(catalog.gpus.values(), key=lambda g: g.id)
        ]
    if section is Section.instances:
        return [
            {
                "name": i.name,
                "gpu": f"{i.gpu_count}x {i.gpu_model}" if i.gpu_model else None,
                "vcpus": i.vcpus,
                "memoryGiB": i.memory_gib,
                "efaInterfaces": i.efa_interfaces,
                "networkGbps": i.network_gbps,
                "usdPerHour": i.price_usd_hour,
                "source": i.sources[0] if i.sources else None,
            }
            for i in sorted(catalog.instance_types.values(), key=lambda i: i.name)
        ]
    if section is Section.systems:
        from aiinfra_iac.catalog.hosts import systems

        return [
            {
                "name": h.name,
                "gpu": f"{h.gpu_count}x {h.gpu_model}" if h.gpu_model else None,
                "cpu": f"{h.sockets} x {h.cores_per_socket} cores x {h.threads_per_core} threads",
                "memoryGiB": h.memory_gib,
                "computeHcas": list(h.compute_hcas),
                "source": h.sources[0] if h.sources else None,
            }
            for h in sorted(systems(), key=lambda h: h.name)
        ]
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "lineRateGbps": n.line_rate_gbps,
            "linkTypes": list(n.link_types),
            "source": n.sources[0] if n.sources else None,
        }
        for n in sorted(catalog.nics.values(), key=lambda n: n.id)
    ]


@app.command("list")
def list_command(
    section: Annotated[
        Section, typer.Argument(help="gpus, instances, nics or systems (on-prem DGX).")
    ] = Section.instances,
    format: Annotated[OutputFormat, typer.Option("--format", help="text or json.")] = (OutputFormat.text),
    blueprint: Annotated[
        Path | None,
        typer.Option("--blueprint", help="Include this blueprint's spec.catalog file.", show_default=False),
    ] = None,
    bases: BasesOption = None,
) -> None:
    """List one section of the catalog with the public source of each entry."""
    found = rows(section, None if blueprint is None else _blueprint_catalog(blueprint))
    if format is OutputFormat.json:
        typer.echo(
            json.dumps(
                {"schemaVersion": CATALOG_SCHEMA_VERSION, "section": section.value, "rows": found}, indent=2
            )
        )
        return
    from rich.table import Table

    table = Table(title=f"catalog: {section.value}", title_justify="left")
    for column in found[0]:
        table.add_column(column, overflow="fold")
    for row in found:
        table.add_row(
            *(
                "" if v is None else ", ".join(map(str, v)) if isinstance(v, list) else str(v)
                for v in row.values()
            )
        )
    stdout_console().print(table)


def _blueprint_catalog(path: Path) -> Catalog:
    """The catalog ``path`` is checked against (with its ``spec.catalog``); exit 1 with the check
    report when the blueprint or its catalog file is invalid, 2 when it cannot be read."""
    from aiinfra_iac.blueprint import load_blueprint
    from aiinfra_iac.blueprint.checks import catalog_for
    from aiinfra_iac.blueprint.report import print_text_report
    from aiinfra_iac.commands._common import stderr_console

    try:
        return catalog_for(load_blueprint(path))
    except UsageError as error:
        fail(error)
    except BlueprintError as error:
        print_text_report(stderr_console(), error.problems, [str(path)])
        raise typer.Exit(EXIT_FAILED) from error
