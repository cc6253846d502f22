"""Hostile or odd YAML ends in a check error with a line, never a crash, a hang or a silent coercion."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from bp_cli import run

from aiinfra_iac.blueprint.loader import load_blueprint
from aiinfra_iac.blueprint.yaml_source import MAX_DEPTH, MAX_VALUES
from aiinfra_iac.errors import BlueprintError

VALID = """apiVersion: aiinfra/v1
kind: Cluster
metadata: {name: demo}
spec:
  provider: {type: local}
  nodePools:
    - name: sandbox
      count: 2
  scheduler: {type: none}
"""


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def problems_of(path: Path) -> list[tuple[str, str, int | None, str]]:
    with pytest.raises(BlueprintError) as caught:
        load_blueprint(path)
    return [(p.id, p.loc, p.line, p.message) for p in caught.value.problems]


def test_the_valid_sample_loads(tmp_path: Path) -> None:
    assert load_blueprint(write(tmp_path, "ok.yaml", VALID)).blueprint.spec.node_pools[0].count == 2


@pytest.mark.parametrize(
    ("value", "shown"),
    [("true", "True"), ("'2'", "'2'"), ("2.0", "2.0")],
)
def test_count_is_not_coerced_from_bool_string_or_float(tmp_path: Path, value: str, shown: str) -> None:
    path = write(tmp_path, "c.yaml", VALID.replace("count: 2", f"count: {value}"))
    [(rule, loc, line, message)] = problems_of(path)
    assert (rule, loc, line) == ("AI003", "spec.nodePools[0].count", 8)
    assert f"wrong type {shown}" in message


def test_binary_tag_is_not_accepted_as_text(tmp_path: Path) -> None:
    path = write(tmp_path, "c.yaml", VALID.replace("name: demo", "name: !!binary ZGVtbw=="))
    [(rule, _, line, message)] = problems_of(path)
    assert (rule, line) == ("AI001", 3) and "!!binary" in message  # not a core-schema tag (issue 16)


def test_floats_still_accept_integers(tmp_path: Path) -> None:
    text = VALID + "  validation: {rules: {failBelow: 1, warnBelow: 1}}\n"
    rules = load_blueprint(write(tmp_path, "c.yaml", text)).blueprint.spec.validation.rules
    assert (rules.fail_below, rules.warn_below) == (1.0, 1.0)


@pytest.mark.parametrize("opener", ["[", "{a: "])
def test_deep_nesting_is_ai001_not_a_recursion_error(tmp_path: Path, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    depth = 400  # past ruamel's own recursion limit; its parser is quadratic in depth, keep it small
    text = VALID + "  labels: " + opener * depth + "1" * (opener != "[") + closer * depth + "\n"
    [(rule, _, _, message)] = problems_of(write(tmp_path, "deep.yaml", text))
    assert rule == "AI001" and f"deeper than {MAX_DEPTH}" in message


def test_moderate_nesting_beyond_the_limit_names_its_line(tmp_path: Path) -> None:
    depth = MAX_DEPTH + 5
    text = VALID.replace("count: 2", "count: 2\n      labels: " + "[" * depth + "]" * depth)
    [(rule, _, line, message)] = problems_of(write(tmp_path, "deep.yaml", text))
    assert (rule, line) == ("AI001", 9) and "deeper than" in message


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ["x0: &x0 [a, a, a, a, a, a, a, a, a, a]"]
    for level in range(1, 9):
        refs = ", ".join([f"*x{level - 1}"] * 10)
        lines.append(f"x{level}: &x{level} [{refs}]")
    text = VALID + "  bomb:\n" + "".join(f"    {line}\n" for line in lines)
    started = time.monotonic()
    [(rule, _, _, message)] = problems_of(write(tmp_path, "bomb.yaml", text))
    assert rule == "AI001" and f"more than {MAX_VALUES:,} values" in message
    assert time.monotonic() - started < 30


def test_small_aliases_still_work(tmp_path: Path) -> None:
    text = VALID.replace("count: 2", "count: &n 2\n      labels: {team: &t ml}\n      taints: []")
    text += "  platform: {}\n"
    loaded = load_blueprint(write(tmp_path, "c.yaml", text))
    assert loaded.blueprint.spec.node_pools[0].labels == {"team": "ml"}


def test_merge_key_is_supported_with_lines(tmp_path: Path) -> None:
    text = VALID.replace(
        "    - name: sandbox\n      count: 2\n",
        "    - &common {name: sandbox, count: 3}\n    - <<: *common\n      name: other\n",
    )
    loaded = load_blueprint(write(tmp_path, "merge.yaml", text))
    assert [(p.name, p.count) for p in loaded.blueprint.spec.node_pools] == [("sandbox", 3), ("other", 3)]
    assert loaded.locate("spec.nodePools[1].count") == (str(tmp_path / "merge.yaml"), 7)
    assert loaded.locate("spec.nodePools[1].name") == (str(tmp_path / "merge.yaml"), 9)


def test_merge_key_error_points_at_the_anchor(tmp_path: Path) -> None:
    text = VALID.replace(
        "    - name: sandbox\n      count: 2\n",
        "    - &common {name: sandbox, count: lots}\n    - <<: *common\n      name: other\n",
    )
    problems = problems_of(write(tmp_path, "merge.yaml", text))
    assert ("AI003", "spec.nodePools[1].count", 7) in [p[:3] for p in problems]


def test_extends_pointing_at_a_directory_says_so(tmp_path: Path) -> None:
    (tmp_path / "bases").mkdir()
    path = write(tmp_path, "c.yaml", VALID.replace("kind: Cluster\n", "kind: Cluster\nextends: [bases]\n"))
    [(rule, loc, line, message)] = problems_of(path)
    assert (rule, loc, line) == ("AI008", "extends[0]", 3)
    assert "is a directory" in message and "not found" not in message


def test_cli_reports_hostile_files_as_json_without_traceback(tmp_path: Path) -> None:
    deep = write(tmp_path, "deep.yaml", VALID + "  x: " + "[" * 400 + "]" * 400 + "\n")
    result = run("check", "--format", "json", deep)
    assert result.exit_code == 1
    report = result.json()
    assert report["ok"] is False and report["errors"][0]["id"] == "AI001"


ONPREM = """apiVersion: aiinfra/v1
kind: Cluster
metadata: {name: demo}
spec:
  provider: {type: onprem}
  nodePools:
    - name: gpu
      gpu: {model: H100-SXM, count: 8}
      hosts: [gpu-001, HOST]
  scheduler: {type: slurm}
"""


@pytest.mark.parametrize("host", ["''", "'../../etc'", "'a b ansible_host=x'", "'gpu|1'", "'-gpu'", "'gpü'"])
def test_host_names_that_cannot_be_inventory_names_or_folders_are_rejected(tmp_path: Path, host: str) -> None:
    [(rule, loc, line, message)] = problems_of(write(tmp_path, "c.yaml", ONPREM.replace("HOST", host)))
    assert (rule, loc, line) == ("AI004", "spec.nodePools[0].hosts[1]", 9)
    assert "is not a host name or IP address" in message


@pytest.mark.parametrize(
    "host", ["gpu-002", "GPU_02.cluster.internal", "10.0.0.12", "'fe80::1'", "'2001:db8::12'"]
)
def test_host_names_and_addresses_are_accepted(tmp_path: Path, host: str) -> None:
    loaded = load_blueprint(write(tmp_path, "c.yaml", ONPREM.replace("HOST", host)))
    assert loaded.blueprint.spec.node_pools[0].hosts == ["gpu-001", host.strip("'")]


def test_an_endless_file_is_refused_not_read_into_memory() -> None:
    from aiinfra_iac.blueprint.yaml_source import MAX_BYTES, UnreadableFileError

    zero = Path("/dev/zero")
    if not zero.exists():
        pytest.skip("no /dev/zero here")
    with pytest.raises(UnreadableFileError) as caught:
        load_blueprint(zero)
    assert caught.value.exit_code == 2
    assert f"larger than {MAX_BYTES // 2**20} MiB" in caught.value.problem.message


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_cr_line_endings_keep_their_line_numbers(tmp_path: Path, newline: str) -> None:
    text = VALID.replace("count: 2", "count: lots").replace("\n", newline)
    path = tmp_path / "c.yaml"
    path.write_bytes(text.encode())
    [(rule, loc, line, _)] = problems_of(path)
    assert (rule, loc, line) == ("AI003", "spec.nodePools[0].count", 8)


def test_a_very_long_extends_chain_is_ai006_not_a_misleading_yaml_error(tmp_path: Path) -> None:
    from aiinfra_iac.blueprint.loader import MAX_EXTENDS_DEPTH

    length = MAX_EXTENDS_DEPTH * 40  # deep enough to exhaust the Python stack without the limit
    for i in range(length):
        parent = f"extends: [b{i + 1}.yaml]\n" if i < length - 1 else ""
        write(tmp_path, f"b{i}.yaml", parent + f"metadata: {{labels: {{l{i}: x}}}}\n")
    top = write(tmp_path, "top.yaml", VALID.replace("kind: Cluster\n", "kind: Cluster\nextends: [b0.yaml]\n"))
    [(rule, loc, line, message)] = problems_of(top)
    assert (rule, loc, line) == ("AI006", "extends[0]", 1)
    assert f"deeper than {MAX_EXTENDS_DEPTH} files" in message


def test_an_extends_chain_within_the_limit_loads(tmp_path: Path) -> None:
    for i in range(10):
        parent = f"extends: [b{i + 1}.yaml]\n" if i < 9 else ""
        write(tmp_path, f"b{i}.yaml", parent + f"metadata: {{labels: {{l{i}: x}}}}\n")
    top = write(tmp_path, "top.yaml", VALID.replace("kind: Cluster\n", "kind: Cluster\nextends: [b0.yaml]\n"))
    assert len(load_blueprint(top).blueprint.metadata.labels) == 10


@pytest.mark.parametrize(
    ("old", "new", "loc", "hint"),
    [
        ("count: 2", "count: '2'", "spec.nodePools[0].count", "write the number without quotes"),
        ("count: 2", "count: lots", "spec.nodePools[0].count", "valid integer"),
        (
            "type: none}",
            "type: none}\n  observability: {alerts: yes}",
            "spec.observability.alerts",
            "true or false",
        ),
    ],
)
def test_strict_type_errors_say_how_to_write_the_value(
    tmp_path: Path, old: str, new: str, loc: str, hint: str
) -> None:
    [(rule, found_loc, _, message)] = problems_of(write(tmp_path, "c.yaml", VALID.replace(old, new)))
    assert (rule, found_loc) == ("AI003", loc) and hint in message
