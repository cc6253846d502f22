"""roles/site.yml: valid, lint-clean, and the progress estimate follows the roles it applies."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from aiinfra_iac.configure.roles import ROLE_ORDER
from aiinfra_iac.configure.taskcount import expected_tasks, role_task_count
from aiinfra_iac.resources import bundled_path

REPO = Path(__file__).resolve().parents[2]


def _tool(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} not installed")
    return found


def test_bundled_roles_are_the_repository_roles() -> None:
    roles = bundled_path("roles")
    assert (roles / "site.yml").samefile(REPO / "roles" / "site.yml")
    for role in ROLE_ORDER:
        assert (roles / role / "tasks" / "main.yml").exists(), role


def test_site_playbook_syntax() -> None:
    proc = subprocess.run(
        [_tool("ansible-playbook"), "--syntax-check", "-i", "localhost,", str(REPO / "roles" / "site.yml")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "ANSIBLE_ROLES_PATH": str(REPO / "roles"), "HOME": str(REPO)},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_ansible_lint_production_profile() -> None:
    proc = subprocess.run(
        [
            _tool("ansible-lint"),
            "--profile",
            "production",
            "--nocolor",
            "roles/site.yml",
            "roles/observability",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_task_estimate_counts_the_roles() -> None:
    roles = bundled_path("roles")
    playbook = roles / "site.yml"
    bare = expected_tasks(roles, playbook, [])
    # Fact gathering, the two hardware scans, reading the installed packages (dpkg-query, then its names)
    # and the hardware report: the tasks of site.yml itself.
    assert bare == 6
    # observability: main.yml (3: package, GPU check, files), node_exporter.yml (2), efa.yml (2),
    # dcgm.yml (3, block included) + validation.
    assert role_task_count(roles, "observability") == 3 + 2 + 2 + 3 + 1
    assert expected_tasks(roles, playbook, ["observability"]) == bare + role_task_count(
        roles, "observability"
    )


SITE_TAGS = {
    "driver": {"nvidia_driver"},
    "nccl": {"nccl"},
    "rdma": {"rdma_infiniband", "roce", "efa"},
    "efa": {"efa"},
    "dpu": {"bluefield_dpu"},
    "slurm": {"slurm"},
    "tuning": {"host_tuning"},
}


def _listed_roles(tags: str) -> set[str]:
    proc = subprocess.run(
        [
            _tool("ansible-playbook"),
            "--list-tasks",
            "--tags",
            tags,
            "-i",
            "localhost,",
            str(REPO / "roles" / "site.yml"),
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "ANSIBLE_ROLES_PATH": str(REPO / "roles"), "HOME": str(REPO)},
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {line.split("Apply ", 1)[1].split()[0] for line in proc.stdout.splitlines() if "Apply " in line}


@pytest.mark.parametrize("tag", sorted(SITE_TAGS))
def test_site_tags_select_one_concern(tag: str) -> None:
    """`--tags <concern>` keeps only that concern's role includes (their tasks carry it via apply)."""
    assert _listed_roles(tag) == SITE_TAGS[tag]


def test_site_includes_every_role_in_role_order() -> None:
    plays = YAML(typ="safe").load((REPO / "roles" / "site.yml").read_text())
    key = "ansible.builtin.include_role"
    names = [t[key]["name"] for t in plays[0]["tasks"] if key in t]
    assert tuple(names) == ROLE_ORDER
    for task in plays[0]["tasks"]:
        if "ansible.builtin.include_role" in task:
            # The include's tags are also applied to the role's own tasks.
            assert task["ansible.builtin.include_role"]["apply"]["tags"] == task["tags"]
