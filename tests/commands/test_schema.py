"""`aiinfra schema`: a valid JSON Schema 2020-12 that accepts every ready blueprint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import typer
from typer.testing import CliRunner

from aiinfra_iac.blueprint.loader import load_blueprint, merged_data
from aiinfra_iac.blueprint.yaml_source import load_yaml_file, to_plain
from aiinfra_iac.commands import schema

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = sorted((ROOT / "blueprints").glob("*.yaml"))

app = typer.Typer()
app.command("schema")(schema.command)
app.command("noop")(lambda: None)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


def test_schema_is_valid_2020_12(document: dict[str, Any]) -> None:
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"]
    jsonschema.Draft202012Validator.check_schema(document)


def test_schema_uses_camel_case_keys(document: dict[str, Any]) -> None:
    assert set(document["properties"]) == {"apiVersion", "kind", "metadata", "extends", "spec"}
    pool = document["$defs"]["NodePool"]["properties"]
    assert "instanceType" in pool and "instance_type" not in pool
    assert document["$defs"]["NodePool"]["additionalProperties"] is False


@pytest.mark.parametrize("path", BLUEPRINTS, ids=[p.stem for p in BLUEPRINTS])
def test_every_ready_blueprint_validates(document: dict[str, Any], path: Path) -> None:
    validator = jsonschema.Draft202012Validator(document)
    validator.validate(merged_data(path))  # what the user wrote, after the extends merge
    validator.validate(
        load_blueprint(path).blueprint.model_dump(by_alias=True, exclude_none=True, mode="json")
    )


def test_schema_rejects_what_the_loader_rejects(document: dict[str, Any]) -> None:
    data = to_plain(load_yaml_file(ROOT / "blueprints" / "local-host.yaml"))
    data["spec"]["nodePools"][0]["colour"] = "red"
    errors = list(jsonschema.Draft202012Validator(document).iter_errors(data))
    assert errors and "colour" in errors[0].message
