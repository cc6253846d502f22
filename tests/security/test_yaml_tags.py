"""Only the YAML core schema's tags: anything else is AI001 with its line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiinfra_iac.blueprint.loader import load_blueprint
from aiinfra_iac.errors import BlueprintError

HEAD = "apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: demo}\n"
VALID = (
    HEAD + "spec:\n  provider: {type: local}\n  nodePools: [{name: p, count: 1}]\n  scheduler: {type: none}\n"
)


@pytest.mark.parametrize(
    ("tail", "line", "tag"),
    [
        ("a: !foo [x]\n", 4, "!foo"),
        ("spec:\n  nodePools: !!str\n    - a\n", 5, "!!str"),
        ("spec: !!set {a, b}\n", 4, "!!set"),
        ("spec: !!omap [a: 1]\n", 4, "!!omap"),
        ("x: !!python/object:os.system ls\n", 4, "!!python/object:os.system"),
        ("x: !<tag:example.com,2000:app/foo> 1\n", 4, "tag:example.com,2000:app/foo"),
        ("x: !!timestamp 2001-12-14\n", 4, "!!timestamp"),
        ("x: !!binary ZGVtbw==\n", 4, "!!binary"),
        ("x: !!map [a]\n", 4, "!!map"),
    ],
)
def test_non_core_tags_are_ai001(tmp_path: Path, tail: str, line: int, tag: str) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(HEAD + tail)
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    [problem] = caught.value.problems
    assert (problem.id, problem.line) == ("AI001", line) and tag in problem.message


def test_core_tags_are_values(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        VALID.replace("apiVersion: aiinfra/v1", "apiVersion: !!str aiinfra/v1")
        .replace("count: 1", "count: !!int 1")
        .replace("[{name", "!!seq [!!map {name")
        + "  tuning: {host: {reboot: !!bool false, hugepages2M: !!int 0x10}}\n"
    )
    loaded = load_blueprint(path).blueprint
    assert loaded.spec.node_pools[0].count == 1 and loaded.spec.tuning.host.hugepages_2m == 16
