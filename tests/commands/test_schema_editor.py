"""The schema fits an editor: files as written (bases, fragments) validate, every property
has a description and an example, catalog names are offered, `--output` writes a file, and
the copy in docs/ is the one the code generates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import typer
from typer.testing import CliRunner

from aiinfra_iac.blueprint.yaml_source import load_yaml_file, to_plain
from aiinfra_iac.commands import schema

ROOT = Path(__file__).resolve().parents[2]
AS_WRITTEN = sorted((ROOT / "blueprints").glob("**/*.yaml"))

app = typer.Typer()
app.command("schema")(schema.command)
app.command("noop")(lambda: None)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from aiinfra_iac.blueprint.schema_gen import blueprint_schema

    return blueprint_schema(strict=True)  # a property without description or example fails here


def _properties(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    sections = [*document["$defs"].items(), ("Blueprint", document)]
    return [(name, key, prop) for name, d in sections for key, prop in d.get("properties", {}).items()]


def test_every_property_has_a_description_and_an_example(document: dict[str, Any]) -> None:
    props = _properties(document)
    assert len(props) > 130
    assert [f"{n}.{k}" for n, k, p in props if not p.get("description")] == []
    assert [f"{n}.{k}" for n, k, p in props if not p.get("examples")] == []


def test_every_example_is_valid_for_its_property(document: dict[str, Any]) -> None:
    for name, key, prop in _properties(document):
        sub = {**prop, "$defs": document["$defs"]}
        for example in prop["examples"]:
            errors = list(jsonschema.Draft202012Validator(sub).iter_errors(example))
            assert errors == [], f"{name}.{key}: {example!r}: {errors[0].message}"


@pytest.mark.parametrize("path", AS_WRITTEN, ids=[p.stem for p in AS_WRITTEN])
def test_every_file_as_written_validates_bases_included(document: dict[str, Any], path: Path) -> None:
    jsonschema.Draft202012Validator(document).validate(to_plain(load_yaml_file(path)))


def test_a_fragment_needs_only_apiversion_and_kind(document: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(document)
    validator.validate({"apiVersion": "aiinfra/v1", "kind": "Cluster"})
    validator.validate({"apiVersion": "aiinfra/v1", "kind": "Cluster", "spec": {"fabrics": [{"name": "r"}]}})
    assert list(validator.iter_errors({"kind": "Cluster"}))
    assert list(
        validator.iter_errors({"apiVersion": "aiinfra/v1", "kind": "Cluster", "spec": {"fabrics": [{}]}})
    )


def test_gpu_models_come_from_the_catalog(document: dict[str, Any]) -> None:
    model = document["$defs"]["GpuSpec"]["properties"]["model"]
    assert {"H100-SXM", "A100-SXM-80GB", "B200", "H100-SXM5-80GB"} <= set(model["enum"])
    validator = jsonschema.Draft202012Validator(document)
    bad = {
        "apiVersion": "aiinfra/v1",
        "kind": "Cluster",
        "spec": {"nodePools": [{"name": "g", "gpu": {"model": "H1OO"}}]},
    }
    assert any("H1OO" in e.message for e in validator.iter_errors(bad))
    nics = document["$defs"]["Fabric"]["properties"]["nic"]["anyOf"][0]["enum"]
    assert "connectx-7" in nics


def test_id_is_an_https_url(document: dict[str, Any]) -> None:
    assert document["$id"].startswith("https://") and document["$id"].endswith(".json")


def test_output_writes_the_file(tmp_path: Path) -> None:
    target = tmp_path / "blueprint.schema.json"
    result = CliRunner().invoke(app, ["schema", "--output", str(target)])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text()) == schema.blueprint_schema()
    result = CliRunner().invoke(app, ["schema", "--output", str(tmp_path / "missing" / "x.json")])
    assert result.exit_code == 2 and "cannot write" in result.stderr


def test_docs_copy_is_in_step() -> None:
    shipped = (ROOT / "docs" / "blueprint.schema.json").read_text()
    assert shipped == schema.schema_text(), "run: aiinfra schema --output docs/blueprint.schema.json"
