"""Blueprint strings never run as Jinja: a lookup payload planted in every string field of the schema.

The fields come from walking the JSON schema (:mod:`schema_walk`), not from a list. A field whose
pattern refuses the payload is fine (``check`` stops it); every field that ``check`` accepts is planted
together into one blueprint, and ``plan`` (text, json, markdown), the inventory Ansible reads, ``diff``
(Ansible check mode against unreachable hosts) and a configure check run into a chroot must leave
every canary file uncreated.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console
from schema_walk import Path as FieldPath
from schema_walk import planted, string_paths
from typer.testing import CliRunner

from aiinfra_iac.blueprint import load_blueprint, run_checks
from aiinfra_iac.cli import app
from aiinfra_iac.errors import AiinfraError, BlueprintError

BASE = Path(__file__).with_name("injection_base.yaml")
ROOT = Path(__file__).resolve().parents[2]


def payload(canary: Path) -> str:
    return "{{ lookup('pipe', 'touch " + str(canary) + "') }}"


def _accepted(path: Path) -> bool:
    try:
        problems = run_checks(load_blueprint(path))
    except BlueprintError:
        return False
    return not any(p.level == "error" for p in problems)


@pytest.fixture(scope="module")
def field_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Plant a payload in each string field alone; keep the ones ``check`` accepts."""
    work = tmp_path_factory.mktemp("inject")
    base = yaml.safe_load(BASE.read_text())
    accepted: list[FieldPath] = []
    paths = string_paths()
    for index, field in enumerate(paths):
        data = planted(base, field, payload(work / f"canary-{index}"))
        blueprint = work / f"field-{index}.yaml"
        blueprint.write_text(yaml.safe_dump(data))
        if _accepted(blueprint):
            accepted.append(field)
    combined = base
    for field in accepted:
        combined = planted(combined, field, payload(work / f"canary-{paths.index(field)}"))
    all_in_one = work / "combined.yaml"
    all_in_one.write_text(yaml.safe_dump(combined))
    return {"work": work, "paths": paths, "accepted": accepted, "combined": all_in_one}


def canaries(work: Path) -> list[str]:
    return sorted(p.name for p in work.glob("canary-*"))


@pytest.mark.slow  # the fixture checks one blueprint per schema field (~10 s)
def test_the_walk_covers_the_schema(field_run: dict[str, Any]) -> None:
    paths = field_run["paths"]
    assert len(paths) > 70
    assert ("spec", "scheduler", "slurm", "partitions", "<key>") in paths
    assert ("spec", "tuning", "nccl", "env", "<any>") in paths
    assert ("spec", "provider", "sshUser") in paths and ("spec", "storage", 0, "mountOptions") in paths
    # Free text still reaches Ansible (team, labels, taint values, NCCL values): the test is not vacuous.
    assert ("metadata", "team") in field_run["accepted"]
    assert canaries(field_run["work"]) == []


@pytest.mark.slow  # the fixture checks one blueprint per schema field (~10 s)
def test_plan_executes_nothing(field_run: dict[str, Any]) -> None:
    combined = field_run["combined"]
    runner = CliRunner()
    check = runner.invoke(app, ["check", str(combined)])
    assert check.exit_code == 0, check.stdout
    for fmt in ("text", "json", "markdown"):
        result = runner.invoke(app, ["plan", str(combined), "--format", fmt])
        assert result.exit_code == 0, (fmt, result.stdout, result.stderr)
        if fmt == "json":
            assert "lookup('pipe'" in result.stdout  # the payload reached the plan as data
    assert canaries(field_run["work"]) == []


@pytest.mark.slow  # the fixture checks one blueprint per schema field (~10 s)
def test_check_refuses_payloads_in_names_paths_and_identifiers(field_run: dict[str, Any]) -> None:
    refused = set(field_run["paths"]) - set(field_run["accepted"])
    for field in [
        ("spec", "provider", "sshUser"),
        ("spec", "provider", "sshPrivateKeyFile"),
        ("spec", "storage", 0, "server"),
        ("spec", "storage", 0, "export"),
        ("spec", "storage", 0, "mountPath"),
        ("spec", "storage", 0, "mountOptions"),
        ("spec", "scheduler", "slurm", "partitions", "<key>"),
        ("spec", "fabrics", 0, "hcas", 0),
    ]:
        assert field in refused, field


@pytest.mark.slow
def test_ansible_renders_every_inventory_value_as_data(field_run: dict[str, Any], tmp_path: Path) -> None:
    """The written inventory, every host's variables templated by ansible-playbook (no connection)."""
    from aiinfra_iac.configure.inventory import build_inventory
    from aiinfra_iac.configure.runner import find_ansible_playbook, write_inventory
    from aiinfra_iac.plan import resolve

    plan = resolve(load_blueprint(field_run["combined"]).blueprint)
    inventory = write_inventory(tmp_path, build_inventory(plan))
    playbook = tmp_path / "dump.yml"
    playbook.write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        '    - ansible.builtin.debug:\n        msg: "{{ hostvars[inventory_hostname] | to_json }}"\n'
    )
    env = {**os.environ, "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp")}
    done = subprocess.run(
        [str(find_ansible_playbook()), "-i", str(inventory), str(playbook)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "lookup('pipe'" in done.stdout  # the values arrived, untemplated
    assert canaries(field_run["work"]) == []


@pytest.mark.slow
def test_diff_executes_nothing(field_run: dict[str, Any], tmp_path: Path) -> None:
    """``aiinfra diff`` runs Ansible in check mode against the (unreachable) on-prem hosts."""
    env = {**os.environ, "AIINFRA_STATE_DIR": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}
    env["ANSIBLE_SSH_ARGS"] = "-o ConnectTimeout=3"
    done = subprocess.run(
        [sys.executable, "-m", "aiinfra_iac.cli", "diff", str(field_run["combined"])],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode in (1, 3), done.stdout + done.stderr  # the hosts are unreachable (exit 3)
    assert "unreachable" in done.stderr and "Traceback" not in done.stderr
    assert canaries(field_run["work"]) == []


@pytest.fixture
def chroot_node(tmp_path: Path) -> Iterator[Any]:
    sys.path.insert(0, str(ROOT / "tests" / "roles"))
    from harness import Chroot, base_tarball, missing_prerequisites

    reason = missing_prerequisites()
    if reason is not None:
        pytest.skip(reason)
    box = Chroot.create(tmp_path, base_tarball())
    try:
        yield box
    finally:
        box.close()


@pytest.mark.slow
@pytest.mark.roles
def test_configure_check_mode_in_a_chroot_executes_nothing(
    field_run: dict[str, Any], chroot_node: Any, tmp_path: Path
) -> None:
    from aiinfra_iac.configure.stage import run_configure
    from aiinfra_iac.plan import resolve

    plan = resolve(load_blueprint(field_run["combined"]).blueprint)
    addresses = {host: f"chroot:{chroot_node.root}" for pool in plan.pools for host in pool.hosts}
    console = Console(file=io.StringIO(), width=140)
    try:
        result = run_configure(
            plan, check=True, console=console, addresses=addresses, private_data_dir=tmp_path / "pdd"
        )
        assert result.hosts
    except AiinfraError as error:  # check mode on a bare image may fail a task; it must not run code
        assert "Traceback" not in str(error)
    stdout = next((tmp_path / "pdd" / "artifacts").glob("*/stdout")).read_text()
    assert "TASK [" in stdout  # the roles ran against the node
    assert canaries(field_run["work"]) == []
    inventory = json.loads((tmp_path / "pdd" / "inventory" / "hosts.json").read_text())
    assert set(inventory["all"]["vars"]["aiinfra_team"]) == {"__ansible_unsafe"}
