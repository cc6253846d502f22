"""The loader: extends merge, cycles, missing files, YAML errors, locator accuracy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aiinfra_iac.blueprint.loader import load_blueprint
from aiinfra_iac.blueprint.locpath import format_loc, parse_loc
from aiinfra_iac.blueprint.merge import merge_nodes
from aiinfra_iac.blueprint.yaml_source import UnreadableFileError, parse_yaml, to_plain
from aiinfra_iac.errors import BlueprintError

HEAD = "apiVersion: aiinfra/v1\nkind: Cluster\nmetadata: {name: demo}\n"


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def errors_of(path: Path) -> list[tuple[str, str, str, int | None]]:
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    return [(p.id, p.loc, Path(p.file or "").name, p.line) for p in caught.value.problems]


BASE = """apiVersion: aiinfra/v1
kind: Cluster
spec:
  provider: {type: aws, region: us-east-1, availabilityZone: us-east-1a}
  nodePools:
    - name: train
      instanceType: p5.48xlarge
      count: 2
      labels: {team: base, tier: gpu}
    - name: infer
      instanceType: p4d.24xlarge
  fabrics: [{name: efa, type: efa}]
  scheduler: {type: kubernetes, kubernetes: {version: "1.30", queueing: kueue}}
  tuning:
    nccl: {env: {NCCL_DEBUG: WARN, NCCL_IB_QPS_PER_CONNECTION: "2"}}
    host: {hugepages2M: 0}
"""

CHILD = (
    HEAD
    + """extends: [bases/base.yaml]
spec:
  nodePools:
    - name: train
      count: 16
      labels: {team: child}
    - name: extra
      instanceType: p5.48xlarge
  scheduler: {kubernetes: {version: "1.31"}}
  tuning:
    nccl: {env: {NCCL_DEBUG: INFO}}
"""
)


@pytest.fixture
def child(tmp_path: Path) -> Path:
    write(tmp_path, "bases/base.yaml", BASE)
    return write(tmp_path, "cluster.yaml", CHILD)


def test_named_lists_merge_by_name_and_mappings_deep_merge(child: Path) -> None:
    loaded = load_blueprint(child)
    pools = loaded.blueprint.spec.node_pools
    assert [(p.name, p.instance_type, p.count) for p in pools] == [
        ("train", "p5.48xlarge", 16),
        ("infer", "p4d.24xlarge", None),
        ("extra", "p5.48xlarge", None),
    ]
    assert pools[0].labels == {"team": "child", "tier": "gpu"}
    assert loaded.blueprint.spec.scheduler.kubernetes is not None
    assert loaded.blueprint.spec.scheduler.kubernetes.version == "1.31"
    assert loaded.blueprint.spec.scheduler.kubernetes.queueing == "kueue"
    assert loaded.blueprint.spec.tuning.nccl.env == {"NCCL_DEBUG": "INFO", "NCCL_IB_QPS_PER_CONNECTION": "2"}
    assert loaded.blueprint.extends == ["bases/base.yaml"]
    assert [Path(f).name for f in loaded.source_files] == ["cluster.yaml", "base.yaml"]


def test_locator_points_at_child_or_base(child: Path) -> None:
    loaded = load_blueprint(child)

    def where(loc: str) -> tuple[str, int | None]:
        file, line = loaded.locate(loc)
        return Path(file).name, line

    assert where("spec.nodePools[0].count") == ("cluster.yaml", 8)
    assert where("spec.nodePools[0].instanceType") == ("base.yaml", 7)
    assert where("spec.nodePools[0].labels.tier") == ("base.yaml", 9)
    assert where("spec.nodePools[0].labels.team") == ("cluster.yaml", 9)
    assert where("spec.nodePools[1].instanceType") == ("base.yaml", 11)
    assert where("spec.nodePools[2]") == ("cluster.yaml", 10)
    assert where("spec.provider.region") == ("base.yaml", 4)
    assert where("spec.scheduler.kubernetes.queueing") == ("base.yaml", 13)
    assert where("spec.tuning.nccl.env.NCCL_DEBUG") == ("cluster.yaml", 14)
    # unwritten paths resolve to the nearest written parent
    assert where("spec.nodePools[2].count") == ("cluster.yaml", 10)
    assert where("metadata.team") == ("cluster.yaml", 3)


def test_validation_error_in_base_points_into_base(tmp_path: Path) -> None:
    write(tmp_path, "bases/base.yaml", BASE.replace("count: 2", "count: -2"))
    path = write(tmp_path, "cluster.yaml", CHILD.replace("      count: 16\n", ""))
    assert errors_of(path) == [("AI004", "spec.nodePools[0].count", "base.yaml", 8)]


def test_later_base_overrides_earlier_and_child_overrides_all(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "spec:\n  scheduler: {type: slurm}\n  tuning: {host: {hugepages2M: 1}}\n")
    write(tmp_path, "b.yaml", "spec:\n  scheduler: {type: kubernetes}\n  tuning: {host: {hugepages2M: 2}}\n")
    path = write(
        tmp_path,
        "c.yaml",
        HEAD
        + "extends: [a.yaml, b.yaml]\nspec:\n  provider: {type: local}\n  nodePools: [{name: p}]\n"
        + "  tuning: {host: {hugepages2M: 3}}\n",
    )
    loaded = load_blueprint(path)
    assert loaded.blueprint.spec.scheduler.type == "kubernetes"
    assert loaded.blueprint.spec.tuning.host.hugepages_2m == 3


def test_nested_extends_resolve_relative_to_each_file(tmp_path: Path) -> None:
    write(tmp_path, "lib/core.yaml", "spec:\n  scheduler: {type: none}\n")
    write(tmp_path, "lib/team/mid.yaml", "extends: [../core.yaml]\nspec:\n  provider: {type: local}\n")
    path = write(tmp_path, "c.yaml", HEAD + "extends: [lib/team/mid.yaml]\nspec:\n  nodePools: [{name: p}]\n")
    loaded = load_blueprint(path)
    assert loaded.blueprint.spec.scheduler.type == "none"
    assert [Path(f).name for f in loaded.source_files] == ["c.yaml", "mid.yaml", "core.yaml"]


def test_unnamed_lists_are_replaced(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", "spec:\n  validation: {nccl: {collectives: [all_reduce, all_gather]}}\n")
    path = write(
        tmp_path,
        "c.yaml",
        HEAD
        + "extends: [b.yaml]\nspec:\n  provider: {type: local}\n  nodePools: [{name: p}]\n"
        + "  scheduler: {type: none}\n"
        + "  validation: {nccl: {collectives: [alltoall]}}\n",
    )
    assert load_blueprint(path).blueprint.spec.validation.nccl.collectives == ["alltoall"]


def test_extends_cycle_names_the_chain(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: [b.yaml]\n")
    write(tmp_path, "b.yaml", "spec: {}\nextends: [a.yaml]\n")
    path = write(tmp_path, "c.yaml", HEAD + "extends: [a.yaml]\n")
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    (problem,) = caught.value.problems
    assert (problem.id, problem.loc, Path(problem.file or "").name, problem.line) == (
        "AI006",
        "extends[0]",
        "b.yaml",
        2,
    )
    assert "a.yaml -> b.yaml -> a.yaml" in problem.message


def test_self_extension_is_a_cycle(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", HEAD + "extends: [c.yaml]\n")
    assert errors_of(path) == [("AI006", "extends[0]", "c.yaml", 4)]


def test_missing_base_names_the_entry(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", HEAD + "extends:\n  - ok.yaml\n  - nope.yaml\n")
    write(tmp_path, "ok.yaml", "spec: {}\n")
    assert errors_of(path) == [("AI007", "extends[1]", "c.yaml", 6)]


def test_extends_must_be_a_list_of_paths(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", HEAD + "extends: base.yaml\n")
    assert errors_of(path) == [("AI003", "extends", "c.yaml", 4)]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: [1, 2\nc: 3\n", 3),
        ("a:\n  b: 1\n c: 2\n", 3),
        ("a: 1\na: 2\n", 2),
        ("a: 'unterminated\n", 2),
    ],
)
def test_invalid_yaml_reports_its_line(tmp_path: Path, text: str, line: int) -> None:
    assert errors_of(write(tmp_path, "bad.yaml", text))[0][0::3] == ("AI001", line)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert errors_of(write(tmp_path, "list.yaml", "- a\n- b\n"))[0][0] == "AI003"
    assert errors_of(write(tmp_path, "empty.yaml", "# nothing\n"))[0][0] == "AI003"


def test_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFileError) as caught:
        load_blueprint(tmp_path / "missing.yaml")
    assert caught.value.exit_code == 2
    assert caught.value.problem.id == "AI008"
    directory = tmp_path / "dir.yaml"
    directory.mkdir()
    with pytest.raises(UnreadableFileError):
        load_blueprint(directory)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_base_is_ai008(tmp_path: Path) -> None:
    base = write(tmp_path, "b.yaml", "spec: {}\n")
    base.chmod(0)
    path = write(tmp_path, "c.yaml", HEAD + "extends: [b.yaml]\n")
    assert errors_of(path) == [("AI008", "extends[0]", "c.yaml", 4)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "spec:\n  provider: {type: aws, regoin: x}\n",
            ("AI002", "spec.provider.regoin", "did you mean 'region'?"),
        ),
        (
            "spec:\n  nodePools: [{name: a, count: lots}]\n",
            ("AI003", "spec.nodePools[0].count", "valid integer"),
        ),
        ("spec:\n  provider: {type: awss}\n", ("AI004", "spec.provider.type", "did you mean 'aws'?")),
        (
            "spec:\n  nodePools: [{name: a, gpu: {count: 8}}]\n",
            ("AI005", "spec.nodePools[0].gpu.model", "missing"),
        ),
        (
            "spec:\n  validation: {nccl: {minBusBwGBps: fast}}\n",
            ("AI003", "spec.validation.nccl.minBusBwGBps", "'auto'"),
        ),
        (
            "spec:\n  tuning: {nccl: {env: {NCCL_DEBUG: 1}}}\n",
            ("AI003", "spec.tuning.nccl.env.NCCL_DEBUG", "quote the value"),
        ),
        ("spec:\n  scheduler: {type: slurm}\n  x: 1\n", ("AI002", "spec.x", "allowed: provider, nodePools")),
        (
            "spec:\n  validation: {nccl: {maxBytes: 8GB}}\n",
            ("AI004", "spec.validation.nccl.maxBytes", "optional K, M, G or T suffix"),
        ),
        ("spec:\n  nodePools: [{name: Big_Pool}]\n", ("AI004", "spec.nodePools[0].name", "DNS-1123")),
    ],
)
def test_schema_errors_map_to_camel_case_paths(
    tmp_path: Path, text: str, expected: tuple[str, str, str]
) -> None:
    path = write(tmp_path, "c.yaml", HEAD + text)
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    matching = [p for p in caught.value.problems if p.loc == expected[1]]
    assert len(matching) == 1, caught.value.problems
    assert matching[0].id == expected[0]
    assert expected[2] in matching[0].message
    assert matching[0].line is not None and matching[0].line > 3


def test_loc_paths_round_trip() -> None:
    for text in ("spec.nodePools[0].instanceType", "extends[1]", "spec.tuning.nccl.env.NCCL_DEBUG", "spec"):
        assert format_loc(parse_loc(text)) == text
    dotted = ("spec", "nodePools", 0, "labels", "nvidia.com/gpu.product")
    assert format_loc(dotted) == 'spec.nodePools[0].labels["nvidia.com/gpu.product"]'
    assert parse_loc(format_loc(dotted)) == dotted


def test_duplicate_names_in_one_file_survive_the_merge(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", "spec:\n  nodePools: [{name: a, count: 1}]\n")
    path = write(
        tmp_path,
        "c.yaml",
        HEAD + "extends: [b.yaml]\nspec:\n  provider: {type: local}\n  scheduler: {type: none}\n"
        "  nodePools: [{name: a, count: 2}, {name: a, count: 3}]\n",
    )
    pools = load_blueprint(path).blueprint.spec.node_pools
    assert [(p.name, p.count) for p in pools] == [("a", 2), ("a", 3)]


def test_merge_does_not_modify_inputs() -> None:
    base = parse_yaml("a: {b: 1, c: [{name: x, v: 1}]}\n", "base")
    child = parse_yaml("a: {c: [{name: x, v: 2}, {name: y}]}\n", "child")
    merged = merge_nodes(base, child)
    assert to_plain(merged) == {"a": {"b": 1, "c": [{"name": "x", "v": 2}, {"name": "y"}]}}
    assert to_plain(base) == {"a": {"b": 1, "c": [{"name": "x", "v": 1}]}}
