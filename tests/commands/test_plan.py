"""`aiinfra plan`: offline, DESIGN.md's JSON document, text tables, markdown for pull requests."""

from __future__ import annotations

import json
from pathlib import Path

from ._cli import BROKEN, ONPREM, P5, invoke, run_cli, without_pulumi


def test_json_is_one_document_with_type_tokens_offline(tmp_path: Path) -> None:
    done = run_cli("plan", P5, "--format", "json", env=without_pulumi(tmp_path))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert list(doc) == [
        "schemaVersion",
        "cluster",
        "resources",
        "configuration",
        "validation",
        "summary",
        "review",
    ]
    assert doc["cluster"] == "h100-p5-eks-fsx-training"
    types = {r["type"] for r in doc["resources"]}
    assert {
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:eks/nodeGroup:NodeGroup",
        "aws:fsx/lustreFileSystem:LustreFileSystem",
    } <= types
    assert set(doc["summary"]) == {"nodes", "gpus", "estimatedHourlyUSD"}
    assert doc["summary"]["gpus"] == 128
    assert "Traceback" not in done.stderr


def test_text_shows_tables_and_summary() -> None:
    code, out, _ = invoke("plan", P5)
    assert code == 0
    assert "h100-p5-eks-fsx-training: 16 node(s), 128 GPU(s)" in out
    assert "Resources (Pulumi)" in out and "Configuration (Ansible)" in out and "Validation" in out


def test_markdown_is_a_pull_request_comment() -> None:
    code, out, _ = invoke("plan", P5, "--format", "markdown")
    assert code == 0
    assert out.startswith("### aiinfra plan: `h100-p5-eks-fsx-training`")
    # the GPU pool and the untainted EKS system node group
    assert "| `aws:ec2/launchTemplate:LaunchTemplate` | 2 |" in out
    assert "<details><summary>Resource inputs</summary>" in out


def test_onprem_lists_configuration_and_validation_without_resources() -> None:
    code, out, _ = invoke("plan", ONPREM, "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["resources"] == []
    assert doc["configuration"] and doc["validation"]


def test_invalid_blueprint_is_exit_1_with_check_style_report() -> None:
    code, out, err = invoke("plan", BROKEN, "--format", "json")
    assert code == 1 and json.loads(out)["ok"] is False  # the check document on stdout
    assert "AI002" in err and str(BROKEN.name) in err


def test_unreadable_file_is_exit_2(tmp_path: Path) -> None:
    code, _, err = invoke("plan", tmp_path / "missing.yaml")
    assert code == 2 and "missing.yaml" in err
