"""`aiinfra catalog list`: every section, with a public source on every row; head-node types."""

from __future__ import annotations

import json

import pytest

from ._cli import invoke


@pytest.mark.parametrize("section", ["gpus", "instances", "nics"])
def test_every_row_has_an_https_source(section: str) -> None:
    code, out, _ = invoke("catalog", "list", section, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["schemaVersion"] == 1 and doc["section"] == section and doc["rows"]
    assert all(str(row["source"]).startswith("https://") for row in doc["rows"])


def test_cpu_head_node_types_are_listed() -> None:
    _code, out, _ = invoke("catalog", "list", "instances", "--format", "json")
    rows = {row["name"]: row for row in json.loads(out)["rows"]}
    for family in ("m7i", "c7i", "r7i"):
        assert rows[f"{family}.4xlarge"]["gpu"] is None and rows[f"{family}.4xlarge"]["vcpus"] == 16
    assert rows["p5.48xlarge"]["gpu"] == "8x H100-SXM"


def test_text_and_unknown_section() -> None:
    code, out, _ = invoke("catalog", "list", "gpus")
    assert code == 0 and "H100-SXM" in out
    code, _, err = invoke("catalog", "list", "switches")
    assert code == 2 and "switches" in err
