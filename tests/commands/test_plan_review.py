"""Plans for review: per-pool facts, full host lists, a mermaid topology that parses,
``--compare`` against an older plan, ``schemaVersion``, and check JSON on an invalid blueprint."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from ._cli import BLUEPRINTS, ONPREM, P5, invoke
from .mermaid_check import check_flowchart

ROCE = BLUEPRINTS / "h100-onprem-roce-bluefield3.yaml"


def _mermaid(markdown: str) -> str:
    blocks = re.findall(r"```mermaid\n(.*?)```", markdown, re.S)
    assert len(blocks) == 1
    return str(blocks[0])


def test_the_checker_rejects_broken_charts() -> None:
    assert check_flowchart('flowchart LR\n    a["x"] --> b["y"]') == []
    assert check_flowchart('flowchart LR\n    a["x"] --> b') == ["node b is linked but never declared"]
    assert check_flowchart('flowchart LR\n    a["x"] -> b["y"]')
    assert check_flowchart('flowchart LR\n    a["x "quoted""]')
    assert check_flowchart('graph XY\n    a["x"]')


@pytest.mark.slow
@pytest.mark.parametrize("path", sorted(BLUEPRINTS.glob("*.yaml")), ids=lambda p: p.stem)
def test_markdown_has_pools_topology_and_every_host(path: Path) -> None:
    code, out, _ = invoke("plan", path, "--format", "markdown")
    assert code == 0, out
    assert check_flowchart(_mermaid(out)) == []
    code, doc_text, _ = invoke("plan", path, "--format", "json")
    doc = json.loads(doc_text)
    for entry in doc["configuration"]:
        assert f"#### Pool `{entry['pool']}`" in out
        assert all(f"- `{host}`" in out for host in entry["hosts"])
        assert f"<details><summary>Hosts of {entry['pool']} ({len(entry['hosts'])})</summary>" in out


@pytest.mark.slow
def test_review_names_nccl_env_driver_qos_thresholds_and_caveats() -> None:
    code, out, _ = invoke("plan", ROCE, "--format", "markdown")
    assert code == 0
    assert "| RoCE QoS | PFC priority 3, DSCP 26, ECN on, MTU 4200" in out
    assert "NCCL_IB_TC=106" in out and "| driver | branch 580" in out
    assert "| thresholds | nccl ≥ 450 GB/s" in out
    code, out, _ = invoke("plan", P5, "--format", "markdown")
    assert "**Cost caveats**" in out and "NAT gateway" in out and "fsx-lustre" in out
    assert "| fabric | efa (efa," in out
    code, text, _ = invoke("plan", P5)
    assert "NCCL env" in text and "cost caveat:" in text


@pytest.mark.slow
def test_compare_shows_hosts_settings_and_cost(tmp_path: Path) -> None:
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints")
    old = tmp_path / "old.json"
    code, out, _ = invoke("plan", P5, "--format", "json")
    old.write_text(out)
    changed = tmp_path / "blueprints" / P5.name
    text = changed.read_text()
    assert "count: 16" in text
    changed.write_text(text.replace("count: 16", "count: 18", 1))
    code, out, _ = invoke("plan", changed, "--format", "json", "--compare", old)
    assert code == 0
    diff = json.loads(out)["compare"]
    assert diff["hosts"] == {"train": {"added": ["train-16", "train-17"], "removed": []}}
    assert {"setting": "pools.train.nodes", "old": 16, "new": 18} in diff["settings"]
    assert diff["cost"]["deltaHourlyUSD"] > 0
    code, md, _ = invoke("plan", changed, "--format", "markdown", "--compare", old)
    assert "- pool train: +2 host(s): train-16, train-17" in md
    code, same, _ = invoke("plan", P5, "--format", "markdown", "--compare", old)
    assert same.rstrip().endswith("- no changes")


def test_compare_with_a_file_that_is_no_plan_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("[1]")
    code, _, err = invoke("plan", ONPREM, "--compare", bad)
    assert code == 2 and "not a plan document" in err


def test_json_on_an_invalid_blueprint_prints_the_check_document() -> None:
    broken = Path(__file__).parents[1] / "blueprint" / "broken" / "ai164_kubernetes_on_onprem.yaml"
    code, out, _ = invoke("plan", broken, "--format", "json")
    doc = json.loads(out)
    assert code == 1
    assert doc["ok"] is False and doc["schemaVersion"] == 1 and doc["errors"][0]["id"] == "AI164"


def test_suppressed_warnings_are_listed_with_their_reason(tmp_path: Path) -> None:
    path = tmp_path / "accepted.yaml"
    path.write_text(
        "apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: accepted}\nspec:\n"
        "  provider: {type: local}\n  nodePools: [{name: sandbox}]\n  scheduler: {type: none}\n"
        "  tuning: {host: {numaBalancing: true}}\n"
        "  suppress: [{id: AI172, reason: measuring the kernel default}]\n"
    )
    code, out, err = invoke("plan", path, "--format", "markdown")
    assert code == 0, err
    assert "- `AI172`: measuring the kernel default" in out
    assert "AI172" not in err
