"""``aiinfra schema``: the JSON Schema (draft 2020-12) of the blueprint format on stdout.

Editors (VS Code YAML, IntelliJ) use it for completion and inline errors; the schema only
knows shapes, types and ranges — ``aiinfra check`` adds the cross-field and catalog checks.
"""

from __future__ import annotations

import json
from typing import Any

import typer

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "urn:aiinfra-iac:schema:blueprint:aiinfra/v1"


def blueprint_schema() -> dict[str, Any]:
    """The schema as a dict, keys in the camelCase the YAML uses."""
    from aiinfra_iac.blueprint.models import Blueprint

    schema = Blueprint.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema}


def command() -> None:
    """Print the JSON Schema (2020-12) of the blueprint format."""
    typer.echo(json.dumps(blueprint_schema(), indent=2, sort_keys=False))
