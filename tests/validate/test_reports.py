"""Reports: JSON shape, JUnit XML (parsed back), HTML with embedded plots, the rich table."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from aiinfra_iac.validate.judge import judge
from aiinfra_iac.validate.reports.html import render_html
from aiinfra_iac.validate.reports.json_report import to_json
from aiinfra_iac.validate.reports.junit import to_junit
from aiinfra_iac.validate.reports.table import print_verdict
from aiinfra_iac.validate.types import Verdict

from . import builders as b


@pytest.fixture
def judged(tmp_path: Path) -> tuple[object, Verdict, Path]:
    pool = b.pool("gpu", 3, gpu_plan=b.gpu(), fabric_plan=b.fabric())
    plan = b.plan([pool], b.gpu_checks("gpu", multi=340.0))
    nodes = {"gpu-0": "healthy-h100x8", "gpu-1": "faulty-gpu-h100x8", "gpu-2": "slow-nvlink-h100x8"}
    tree = b.results_tree(tmp_path / "results", nodes, "healthy-ib-h100x16")
    return plan, judge(plan, tree), tree


def test_json_shape(judged: tuple[object, Verdict, Path]) -> None:
    _, verdict, _ = judged
    doc = json.loads(to_json(verdict))
    # DESIGN.md keys unchanged; schema 2 adds schemaVersion and provenance
    assert (
        set(doc) == {"schemaVersion", "cluster", "verdict", "checks", "provenance"}
        and doc["verdict"] == "fail"
    )
    assert doc["schemaVersion"] == 2
    assert set(doc["checks"][0]) == b.CHECK_KEYS
    prov = doc["provenance"]
    assert prov["aiinfraVersion"] and prov["timestamp"].endswith("Z") and prov["cpuFallback"] is False
    assert set(prov["blueprint"]) == {"file", "sha256"}
    assert any(n["versions"].get("nccl") for n in prov["nodes"].values())


def test_junit_parses_with_one_testcase_per_check(judged: tuple[object, Verdict, Path]) -> None:
    _, verdict, _ = judged
    root = ET.fromstring(to_junit(verdict).encode())
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(verdict.checks)
    assert sorted(c.get("name") or "" for c in cases) == sorted(c.id for c in verdict.checks)
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert failed == {c.id for c in verdict.checks if c.status == "fail"}
    suite = root.find("testsuite")
    assert (
        suite is not None
        and suite.get("failures") == str(len(failed))
        and suite.get("tests") == str(len(cases))
    )
    burns = [c for c in cases if (c.get("name") or "").startswith("gpu_burn:")]
    assert burns and all(float(c.get("time") or 0) > 0 for c in burns)  # durations, not time="0"
    props = {p.get("name"): p.get("value") for p in suite.findall("./properties/property")}
    assert props["aiinfra.version"] and "blueprint.sha256" in props and props["cpuFallback"] == "false"


def test_junit_validates_against_the_junit_schema(judged: tuple[object, Verdict, Path]) -> None:
    """Structure of the widely used JUnit XSD (testsuites > testsuite > testcase; failure with message)."""
    _, verdict, _ = judged
    root = ET.fromstring(to_junit(verdict).encode())
    for suite in root:
        assert suite.tag == "testsuite"
        assert {"name", "tests", "failures", "errors", "skipped", "time"} <= set(suite.attrib)
        children = list(suite)
        if children and children[0].tag == "properties":  # the XSD's optional first child
            children = children[1:]
        for case in children:
            assert case.tag == "testcase" and {"classname", "name", "time"} <= set(case.attrib)
            assert {child.tag for child in case} <= {
                "properties",
                "failure",
                "system-out",
                "skipped",
                "error",
            }
            failure = case.find("failure")
            if failure is not None:
                assert failure.get("message")


def test_html_is_self_contained_with_plots(judged: tuple[object, Verdict, Path]) -> None:
    plan, verdict, tree = judged
    page = render_html(plan, verdict, tree)  # type: ignore[arg-type]
    images = page.split('src="data:image/png;base64,')[1:]
    assert len(images) >= 4  # burn, node NCCL, pool NCCL, RDMA
    for image in images:
        assert base64.b64decode(image.split('"', 1)[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "http://" not in page and "https://" not in page  # nothing fetched when opened
    assert "FAULTY GPU" in page and "FAIL" in page
    assert "NCCL all_reduce bus bandwidth" in page and "GPU burn" in page


def test_table_lists_failures(judged: tuple[object, Verdict, Path]) -> None:
    _, verdict, _ = judged
    console = Console(record=True, width=200)
    print_verdict(verdict, console)
    text = console.export_text()
    assert "FAIL" in text and "FAULTY" in text and "verdict: FAIL" in text
