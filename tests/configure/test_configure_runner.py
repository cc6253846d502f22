"""run_playbook through ansible-runner, for real on this machine (local connection, no root needed):
facts are gathered afresh by every run (a node may have rebooted into another kernel or been
re-imaged since the last one), and the environment the caller sets is the one Ansible runs with."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from aiinfra_iac.configure.runner import run_playbook, write_inventory

PLAY = """\
- name: Read a fact
  hosts: all
  gather_facts: true
  tasks:
    - name: Show the kernel
      ansible.builtin.debug:
        msg: "{{ ansible_facts.kernel }}"
      tags: [always]
    - name: Tune NCCL
      ansible.builtin.debug:
        msg: nccl
      tags: [nccl]
    - name: Tune Slurm
      ansible.builtin.debug:
        msg: slurm
      tags: [slurm]
"""


def _run(
    pdd: Path,
    playbook: Path,
    inventory: Path,
    extra_env: dict[str, str] | None = None,
    tags: tuple[str, ...] = (),
) -> list[str]:
    tasks: list[str] = []

    def on_event(event: dict[str, Any]) -> bool:
        if event.get("event") == "playbook_on_task_start":
            tasks.append(str(event["event_data"].get("task", "")))
        return True

    outcome = run_playbook(
        private_data_dir=pdd,
        playbook=playbook,
        roles_dir=playbook.parent,
        inventory_path=inventory,
        forks=1,
        check=False,
        event_handler=on_event,
        extra_env=extra_env,
        tags=tags,
    )
    assert outcome.rc == 0, (outcome.artifact_dir / "stdout").read_text()
    return tasks


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path, Path]:
    pytest.importorskip("ansible_runner")
    playbook = tmp_path / "project" / "site.yml"
    playbook.parent.mkdir()
    playbook.write_text(PLAY)
    pdd = tmp_path / "state"
    host_vars = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}
    inventory = write_inventory(pdd, {"all": {"hosts": {"node-0": host_vars}}})
    return pdd, playbook, inventory


def test_every_run_gathers_its_own_facts(project: tuple[Path, Path, Path]) -> None:
    pdd, playbook, inventory = project
    for _ in range(2):
        tasks = _run(pdd, playbook, inventory)
        assert tasks[0] == "Gathering Facts"
        assert "Show the kernel" in tasks


def test_the_callers_environment_wins_over_the_runners_defaults(
    project: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    """ansible-runner points the fact cache into its artifact folder; an explicit setting is kept."""
    pdd, playbook, inventory = project
    cache = tmp_path / "fact-cache"
    extra = {
        "ANSIBLE_CACHE_PLUGIN": "ansible.builtin.jsonfile",
        "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache),
    }
    _run(pdd, playbook, inventory, extra_env=extra)
    # ansible-core names the file after the host, with a prefix of its own (s1_node-0 in 2.19).
    assert [p.name for p in cache.iterdir() if p.name.endswith("node-0")]


def test_tags_select_the_tasks(project: tuple[Path, Path, Path]) -> None:
    pdd, playbook, inventory = project
    assert {"Tune NCCL", "Tune Slurm"} <= set(_run(pdd, playbook, inventory))
    tagged = _run(pdd, playbook, inventory, tags=("nccl",))
    assert "Tune NCCL" in tagged and "Show the kernel" in tagged and "Tune Slurm" not in tagged
