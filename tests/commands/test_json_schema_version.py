"""Every ``--format json`` document carries ``schemaVersion`` (DESIGN.md), and a command given an
invalid blueprint with ``--format json`` prints the check document (``ok: false``) on stdout.

The list of commands with a ``--format`` option is read from the CLI itself, so a new command
with JSON output fails here until it is added to ``RUNS``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
import typer

from aiinfra_iac.cli import app
from aiinfra_iac.lifecycle.diffing import DiffReport

from ._cli import BROKEN, LOCAL, P5, invoke

DOCUMENT_RUNS: dict[str, list[object]] = {
    "check": ["check", P5],
    "plan": ["plan", LOCAL],
    "explain": ["explain", P5, "spec.nodePools"],
    "catalog list gpus": ["catalog", "list", "gpus"],
    "catalog list instances": ["catalog", "list", "instances"],
    "catalog list nics": ["catalog", "list", "nics"],
    "catalog list systems": ["catalog", "list", "systems"],
    "diff": ["diff", P5],
    "validate": ["validate", LOCAL, "--results", "{results}"],
    "status": ["status", LOCAL.parent / "local-chroot-sandbox.yaml"],
    "preflight": ["preflight", P5],
}
"""One run per command (and per ``catalog list`` section) that has ``--format json``."""

INVALID_RUNS = ("plan", "diff", "validate", "status", "preflight", "explain")
"""Commands that load a blueprint: with --format json they print the check document."""


def _leaves(command: click.Command, path: str) -> dict[str, click.Command]:
    children: dict[str, click.Command] = getattr(command, "commands", {})  # a group, or none
    if not children:
        return {path: command}
    return {
        leaf: found
        for name, sub in children.items()
        for leaf, found in _leaves(sub, f"{path} {name}").items()
    }


def _commands_with_json() -> set[str]:
    leaves = _leaves(typer.main.get_command(app), "")
    assert len(leaves) >= 10, leaves  # the walk reached the commands
    return {
        path.strip()
        for path, leaf in leaves.items()
        if any("--format" in getattr(option, "opts", ()) for option in leaf.params)
    }


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stand-ins for what needs a cloud or a running sandbox; the JSON wrapping stays real."""
    from aiinfra_iac.preflight.report import PreflightReport

    def diff_cluster(plan: Any, **kwargs: Any) -> DiffReport:
        return DiffReport(plan.name, 1, "1 to update", ("node-1",), "1 node differs")

    class Api:
        def __init__(self, region: str, profile: str | None = None) -> None:
            self.region = region

    def run_preflight(plan: Any, api: Any, pins: Any, today: Any) -> PreflightReport:
        return PreflightReport(plan.name, api.region, "us-east-1a")

    def collect(plan: Any, state: Any) -> dict[str, Any]:
        return {"cluster": plan.name, "state": "down", "network": None, "nodes": []}

    monkeypatch.setattr("aiinfra_iac.lifecycle.diffing.diff_cluster", diff_cluster)
    monkeypatch.setattr("aiinfra_iac.preflight.aws_api.Boto3Api", Api)
    monkeypatch.setattr("aiinfra_iac.preflight.checks.run_preflight", run_preflight)
    monkeypatch.setattr("aiinfra_iac.provision.sandbox_status.collect", collect)


def test_every_command_with_json_output_is_covered() -> None:
    covered = {"catalog list" if name.startswith("catalog list") else name for name in DOCUMENT_RUNS}
    assert _commands_with_json() == covered


@pytest.mark.parametrize("name", sorted(DOCUMENT_RUNS))
def test_json_document_carries_schema_version(
    name: str, fakes: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIINFRA_STATE_DIR", str(tmp_path / "state"))
    (tmp_path / "results").mkdir()
    args = [str(a).replace("{results}", str(tmp_path / "results")) for a in DOCUMENT_RUNS[name]]
    code, out, err = invoke(*args, "--format", "json")
    document = json.loads(out)
    assert isinstance(document, dict), out
    assert isinstance(document["schemaVersion"], int) and document["schemaVersion"] >= 1, (code, err)
    # validate judges an empty results folder: every check fails, and the document says so
    assert code == (1 if name == "validate" else 0), err


def test_diff_json_lists_every_changed_node(fakes: None) -> None:
    code, out, _ = invoke("diff", P5, "--format", "json", "--detailed-exitcode")
    document = json.loads(out)
    assert code == 2 and document["changesPresent"] is True
    assert document["cloud"] == {"changes": 1, "detail": "1 to update"}
    assert document["nodes"]["changed"] == ["node-1"]


@pytest.mark.parametrize("command", INVALID_RUNS)
def test_invalid_blueprint_prints_the_check_document(command: str, tmp_path: Path) -> None:
    extra = ["--results", str(tmp_path)] if command == "validate" else []
    code, out, err = invoke(command, BROKEN, *extra, "--format", "json")
    document = json.loads(out)
    assert code == 1 and document["schemaVersion"] == 1 and document["ok"] is False
    assert [e["id"] for e in document["errors"]] == ["AI002"]
    assert "AI002" in err  # the readable report goes to stderr


@pytest.mark.parametrize("command", INVALID_RUNS)
def test_unreadable_blueprint_prints_the_check_document(command: str, tmp_path: Path) -> None:
    code, out, _ = invoke(command, tmp_path / "missing.yaml", "--format", "json")
    document = json.loads(out)
    assert document["ok"] is False and [e["id"] for e in document["errors"]] == ["AI008"]
    assert code == (1 if command == "diff" else 2)  # diff keeps 2 for "changes present"
