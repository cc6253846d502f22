"""`aiinfra explain`: every merged value with the file:line it was written at, on blueprints/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from aiinfra_iac.commands import explain

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = sorted((ROOT / "blueprints").glob("*.yaml"))
IB = ROOT / "blueprints" / "h100-onprem-ib-slurm.yaml"

app = typer.Typer()
app.command("explain")(explain.command)
app.command("noop")(lambda: None)


def run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["explain", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def values(*args: object) -> list[dict[str, Any]]:
    code, out, _ = run("--format", "json", *args)
    assert code == 0, out
    document = json.loads(out)
    assert document["schemaVersion"] == 1
    found: list[dict[str, Any]] = document["values"]
    return found


@pytest.mark.parametrize("path", BLUEPRINTS, ids=[p.stem for p in BLUEPRINTS])
def test_every_written_value_points_at_the_line_that_holds_it(path: Path) -> None:
    found = values(path)
    assert found
    for origin in found:
        line = Path(origin["file"]).read_text().splitlines()[origin["line"] - 1]
        key = origin["loc"].rsplit(".", 1)[-1].split("[")[0]
        # the line holds the key (block style) or is the flow mapping / list item that holds it
        assert key in line or "{" in line or line.lstrip().startswith("-"), (origin, line)


def test_values_from_a_base_name_the_base() -> None:
    by_loc = {v["loc"]: v for v in values(IB)}
    role = by_loc["spec.nodePools[0].role"]
    assert Path(role["file"]).name == "onprem-slurm.yaml" and role["value"] == "controller"
    assert "role: controller" in Path(role["file"]).read_text().splitlines()[role["line"] - 1]
    hosts = by_loc["spec.nodePools[0].hosts"]
    assert Path(hosts["file"]).name == IB.name and hosts["value"] == ["slurm-head-01"]
    gpu_burn = by_loc["spec.validation.gpuBurn.seconds"]
    assert Path(gpu_burn["file"]).name == "validation-defaults.yaml"


def test_field_narrows_and_defaults_have_no_file() -> None:
    found = values(IB, "spec.observability", "--defaults")
    assert {v["loc"] for v in found} == {
        f"spec.observability.{k}" for k in ("metrics", "dashboards", "gpuExporter", "logs", "alerts")
    }
    assert [v["file"] for v in found if v["loc"].endswith("alerts")] == [None]
    assert "spec.observability.alerts" not in {v["loc"] for v in values(IB, "spec.observability")}


def test_text_names_file_and_line() -> None:
    code, out, _ = run(IB, "spec.nodePools[0].role")
    assert code == 0
    assert out.strip().startswith('spec.nodePools[0].role = "controller"  # ')
    assert "bases/onprem-slurm.yaml:" in out


def test_unknown_field_and_invalid_blueprint_exit_1(tmp_path: Path) -> None:
    code, _, err = run(IB, "spec.nope")
    assert code == 1 and "no such field" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: x}\n")
    code, _, err = run(bad)
    assert code == 1 and "spec" in err
