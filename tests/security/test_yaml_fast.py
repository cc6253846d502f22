"""The libyaml reader for large blueprints builds the same tree (values and lines) as the ruamel
reader, and reports the same problems, on every blueprint and hostile snippet we have."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

from aiinfra_iac.blueprint.yaml_fast import available, parse_fast
from aiinfra_iac.blueprint.yaml_source import Node, parse_yaml_ruamel
from aiinfra_iac.errors import BlueprintError

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    [
        *ROOT.glob("blueprints/**/*.yaml"),
        *ROOT.glob("tests/blueprint/**/*.yaml"),
        *ROOT.glob("tests/security/*.yaml"),
    ]
)
SNIPPETS = [
    "a: &x {b: 1, c: [1, 2]}\nd: *x\ne:\n  <<: *x\n  b: 2\n",
    "a: &x {b: 1}\nm: &y {c: 2}\nz:\n  <<: [*x, *y]\n  d: 3\n",
    "a: yes\nb: 0x10\nc: 1_000\nd: ~\ne: ''\nf: 'x'\ng: \"1\"\nh: .inf\ni: true\nj: 1.5e3\nk: -7\n",
    "a: 1\na: 2\n",
    "a: !foo [x]\n",
    "a: !!str [x]\n",
    "a: !!int 7\nb: !!str 8\n",
    "- a\n- - b\n  - c\n- {d: e}\n",
    "a: [1, 2\n",
    "--- 1\n--- 2\n",
    "",
    "# only a comment\n",
    "k:\n  - name: p\n    hosts:\n      - h1\n      - h2\n    labels: {x: y}\n",
    "1: one\ntrue: t\nnull: n\n",
    "a: |\n  line1\n  line2\nb: >\n  folded\n  text\n",
]


def tree(node: Node) -> Any:
    if isinstance(node.value, dict):
        return ("map", node.line, {k: tree(v) for k, v in node.value.items()})
    if isinstance(node.value, list):
        return ("seq", node.line, [tree(v) for v in node.value])
    return (type(node.value).__name__, node.line, node.value)


def outcome(parse: Any, text: str) -> Any:
    try:
        return tree(parse(text, "f.yaml"))
    except BlueprintError as error:
        return [(p.id, p.line) for p in error.problems]


pytestmark = pytest.mark.skipif(not available(), reason="PyYAML without libyaml")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_same_tree_on_every_blueprint(path: Path) -> None:
    text = path.read_text()
    assert outcome(parse_fast, text) == outcome(parse_yaml_ruamel, text)


@pytest.mark.parametrize("text", SNIPPETS)
def test_same_tree_or_problem_on_snippets(text: str) -> None:
    assert outcome(parse_fast, text) == outcome(parse_yaml_ruamel, text)


def test_limits_hold() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(6)
    )
    with pytest.raises(BlueprintError, match="expands to more than"):
        parse_fast(laughs, "f.yaml")
    with pytest.raises(BlueprintError, match=r"deeper than|nesting depth"):
        parse_fast("a: " + "[" * 5000 + "]" * 5000 + "\n", "f.yaml")


def test_two_megabytes_parse_in_a_second_or_two() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_check import large

    text = large(48_000)
    started = time.process_time()
    parse_fast(text, "big.yaml")
    assert time.process_time() - started < 5
