"""roles/site.yml: valid, lint-clean, and the progress estimate follows the roles it applies."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    # Fact gathering and the three hardware-report tasks of site.yml.
    assert bare == 4
    # observability: node_exporter.yml (6), dcgm.yml (8, block included), alerts.yml (2), dashboards.yml (4)
    # + validation.
    assert role_task_count(roles, "observability") == 6 + 8 + 2 + 4 + 1
    assert expected_tasks(roles, playbook, ["observability"]) == bare + role_task_count(
        roles, "observability"
    )
