"""``spec.catalog``: a blueprint's own user catalog file, read like an ``extends:`` base (relative to
the file naming it, inside the repository) and checked like the built-in data, with file:line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from aiinfra_iac.blueprint import load_blueprint, run_checks
from aiinfra_iac.catalog import load_catalog
from aiinfra_iac.errors import BlueprintError, Problem
from aiinfra_iac.plan import plan_from_file

from .test_user_catalog import SITE

BLUEPRINT = """\
apiVersion: aiinfra/v1
kind: Cluster
metadata: {name: site}
spec:
  catalog: catalog/site.yaml  # <-
  provider: {type: aws, region: us-east-1, availabilityZone: us-east-1a}
  nodePools:
    - {name: head, role: controller, instanceType: m7i.8xlarge, count: 1}
    - {name: gpu, instanceType: p5.48xlarge, count: 2, fabric: efa}
  fabrics: [{name: efa, type: efa}]
  scheduler: {type: slurm}
"""

TYPE = SITE.split("nics:")[0].removeprefix("instance_types:\n")
"""The m7i.8xlarge entry of SITE (one flow mapping), to build catalogs with several entries."""


@pytest.fixture(autouse=True)
def fresh_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIINFRA_CATALOG", raising=False)
    load_catalog.cache_clear()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "catalog").mkdir()
    return tmp_path / "repo"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def marked_line(path: Path) -> int:
    [line] = [n for n, text in enumerate(path.read_text().splitlines(), 1) if text.rstrip().endswith("# <-")]
    return line


def problems(path: Path) -> list[Problem]:
    try:
        return run_checks(load_blueprint(path))
    except BlueprintError as error:
        return error.problems


def test_added_instance_type_is_checked_and_planned(repo: Path) -> None:
    write(repo / "catalog" / "site.yaml", SITE)
    blueprint = write(repo / "cluster.yaml", BLUEPRINT)
    assert [p for p in problems(blueprint) if p.level == "error"] == []
    plan, _ = plan_from_file(blueprint)
    head = next(pool for pool in plan.pools if pool.name == "head")
    assert (head.instance_type, head.vcpus) == ("m7i.8xlarge", 32)
    # the process-wide catalog (no spec.catalog) still lacks it: one blueprint's file is its own
    assert "m7i.8xlarge" not in load_catalog().instance_types


def test_without_spec_catalog_the_type_is_unknown(repo: Path) -> None:
    blueprint = write(repo / "cluster.yaml", BLUEPRINT.replace("  catalog: catalog/site.yaml  # <-\n", ""))
    assert "AI101" in {p.id for p in problems(blueprint)}


def test_path_is_relative_to_the_base_that_names_it(repo: Path) -> None:
    write(repo / "bases" / "site-catalog.yaml", SITE)
    write(repo / "bases" / "aws.yaml", "spec:\n  catalog: site-catalog.yaml\n")
    text = BLUEPRINT.replace(
        "spec:\n  catalog: catalog/site.yaml  # <-\n", "extends: [bases/aws.yaml]\nspec:\n"
    )
    blueprint = write(
        repo / "teams" / "cluster.yaml", text.replace("extends: [bases/", "extends: [../bases/")
    )
    loaded = load_blueprint(blueprint)
    assert loaded.catalog_file == os.path.realpath(repo / "bases" / "site-catalog.yaml")
    assert [p for p in run_checks(loaded) if p.level == "error"] == []


@pytest.mark.parametrize(
    ("entry", "rule_id", "says"),
    [
        ("../../outside.yaml", "AI009", "outside the blueprint's repository"),
        ("catalog/missing.yaml", "AI007", "not found"),
        ("catalog/folder.yaml", "AI008", "is a directory"),
        ("catalog/link.yaml", "AI009", "through a symlink"),
    ],
)
def test_file_is_confined_like_extends(repo: Path, entry: str, rule_id: str, says: str) -> None:
    write(repo.parent / "outside.yaml", SITE)
    (repo / "catalog" / "folder.yaml").mkdir()
    (repo / "catalog" / "link.yaml").symlink_to(repo.parent / "outside.yaml")
    blueprint = write(repo / "cluster.yaml", BLUEPRINT.replace("catalog/site.yaml", entry))
    [problem] = problems(blueprint)
    assert (problem.id, problem.loc, problem.file, problem.line) == (
        rule_id,
        "spec.catalog",
        str(blueprint),
        marked_line(blueprint),
    )
    assert says in problem.message and "instance_types" not in problem.message  # nothing read is quoted


def test_not_a_yaml_file_is_refused_by_the_schema(repo: Path) -> None:
    blueprint = write(repo / "cluster.yaml", BLUEPRINT.replace("catalog/site.yaml", "/etc/shadow"))
    [problem] = problems(blueprint)
    assert (problem.id, problem.loc) == ("AI004", "spec.catalog")


GOOD_NIC = (
    "  - {id: site-nic, kind: hca, line_rate_gbps: 400, link_types: [ethernet],\n"
    "     sources: [https://www.nvidia.com/en-us/networking/ethernet-adapters/]}\n"
)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (
            "instance_types:\n"
            + TYPE
            + TYPE.replace("m7i.8xlarge", "m7i.4xlarge")
            .replace("  - {", "  - {  # <-\n    ", 1)
            .replace("sources: [https://aws.amazon.com/ec2/instance-types/m7i/]", "sources: []"),
            "'sources' must list at least one https:// URL",
        ),
        (
            "instance_types:\n"
            + TYPE
            + TYPE.replace("m7i.8xlarge", "p5.48xlarge").replace("  - {", "  - {  # <-\n    ", 1),
            "p5.48xlarge is in the built-in catalog already",
        ),
        (
            "nics:\n"
            + GOOD_NIC
            + GOOD_NIC.replace("  - {", "  - {  # <-\n    ", 1).replace("kind: hca", "kind: gpu"),
            "kind must be hca, efa or dpu",
        ),
        ("instance_types:\n" + TYPE + "gpus: []  # <-\n", "unknown section(s) gpus"),
    ],
    ids=["no-sources", "redefines-built-in", "nic-kind", "unknown-section"],
)
def test_bad_entry_is_ai010_at_its_line(repo: Path, text: str, says: str) -> None:
    catalog = write(repo / "catalog" / "site.yaml", text)
    blueprint = write(repo / "cluster.yaml", BLUEPRINT.replace("m7i.8xlarge", "m6i.xlarge"))
    [problem] = problems(blueprint)
    assert (problem.id, problem.loc, problem.file, problem.line) == (
        "AI010",
        "spec.catalog",
        os.path.realpath(catalog),
        marked_line(catalog),
    )
    assert says in problem.message and not problem.message.startswith(str(catalog))


def test_cli_reports_the_catalog_line_and_plans_with_it(repo: Path) -> None:
    from typer.testing import CliRunner

    from aiinfra_iac.cli import app

    write(repo / "catalog" / "site.yaml", SITE)
    blueprint = write(repo / "cluster.yaml", BLUEPRINT)
    result = CliRunner().invoke(app, ["plan", str(blueprint), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    head = next(p for p in json.loads(result.stdout)["review"]["pools"] if p["pool"] == "head")
    assert head["instanceType"] == "m7i.8xlarge"
    load_catalog.cache_clear()
    write(repo / "catalog" / "site.yaml", SITE.replace("vcpus: 32", "vcpus: 0"))
    result = CliRunner().invoke(app, ["check", str(blueprint)])
    assert result.exit_code == 1
    assert f"{os.path.realpath(repo / 'catalog' / 'site.yaml')}:2: error AI010 spec.catalog" in result.stdout
    assert "'vcpus' is 0, must be >= 1" in result.stdout


def test_oversized_file_is_refused_before_parsing(repo: Path) -> None:
    from aiinfra_iac.catalog.store import MAX_USER_CATALOG_BYTES

    catalog = write(repo / "catalog" / "site.yaml", "#" * (MAX_USER_CATALOG_BYTES + 1))
    blueprint = write(repo / "cluster.yaml", BLUEPRINT)
    [problem] = problems(blueprint)
    assert (problem.id, problem.file) == ("AI010", os.path.realpath(catalog)) and "1 MiB" in problem.message


def test_catalog_list_shows_the_blueprint_s_entries(repo: Path) -> None:
    from typer.testing import CliRunner

    from aiinfra_iac.cli import app

    def names(*extra: str) -> tuple[int, set[str], str]:
        result = CliRunner().invoke(app, ["catalog", "list", "instances", "--format", "json", *extra])
        rows = json.loads(result.stdout)["rows"] if result.exit_code == 0 else []
        return result.exit_code, {row["name"] for row in rows}, result.stderr

    write(repo / "catalog" / "site.yaml", SITE)
    blueprint = write(repo / "cluster.yaml", BLUEPRINT)
    code, with_file, _ = names("--blueprint", str(blueprint))
    assert code == 0 and {"m7i.8xlarge", "p5.48xlarge"} <= with_file
    code, without, _ = names()
    assert code == 0 and "m7i.8xlarge" not in without and "p5.48xlarge" in without
    load_catalog.cache_clear()
    write(repo / "catalog" / "site.yaml", SITE.replace("vcpus: 32", "vcpus: 0"))
    code, _, err = names("--blueprint", str(blueprint))
    assert code == 1 and "AI010" in err and "Traceback" not in err
    code, _, err = names("--blueprint", str(repo / "missing.yaml"))
    assert code == 2 and "AI008" in err


def test_the_catalog_file_is_a_plan_source_so_up_does_not_resume_past_a_change(repo: Path) -> None:
    from aiinfra_iac.lifecycle.stages import fingerprint

    catalog = write(repo / "catalog" / "site.yaml", SITE)
    blueprint = write(repo / "cluster.yaml", BLUEPRINT)
    plan, _ = plan_from_file(blueprint)
    assert plan.source_files == (str(blueprint), os.path.realpath(catalog))
    before = fingerprint(plan)
    load_catalog.cache_clear()
    write(catalog, SITE.replace("price_usd_hour: 1.6128", "price_usd_hour: 1.7"))
    assert fingerprint(plan_from_file(blueprint)[0]) != before


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [("instance_types:\n  - {name: [\n", 3, "not valid YAML"), ("- just a list\n", None, "mapping")],
)
def test_unparsable_file_is_ai010_too(repo: Path, text: str, line: int | None, says: str) -> None:
    catalog = write(repo / "catalog" / "site.yaml", text)
    blueprint = write(repo / "cluster.yaml", BLUEPRINT)
    [problem] = problems(blueprint)
    assert (problem.id, problem.file, problem.line) == ("AI010", os.path.realpath(catalog), line)
    assert says in problem.message
