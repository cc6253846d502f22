"""Estimate how many task results one host produces for a role list (the progress bars' totals).

Counts the tasks of ``roles/site.yml`` and of each role's ``tasks/main.yml``, following static
``import_tasks``/``include_tasks`` files, ``import_role``/``include_role`` of a named role and
blocks, plus the argument-validation task Ansible adds per role. It is an estimate — loops and
conditionally included files are counted once — and the display never lets done exceed total.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

_INCLUDE_FILE = (
    "ansible.builtin.import_tasks",
    "ansible.builtin.include_tasks",
    "import_tasks",
    "include_tasks",
)
_INCLUDE_ROLE = ("ansible.builtin.include_role", "ansible.builtin.import_role", "include_role", "import_role")


def _load(path: Path) -> Any:
    try:
        return YAML(typ="safe").load(path.read_text())
    except (OSError, ValueError):
        return None


def _count_tasks(tasks: Any, base: Path, roles_dir: Path, depth: int, roles: bool = True) -> int:
    """Tasks in ``tasks``; with ``roles=False`` a role include counts nothing (the caller adds them)."""
    if not isinstance(tasks, list) or depth > 8:
        return 0
    total = 0
    for task in tasks:
        if not isinstance(task, dict):
            continue
        if "block" in task:
            for key in ("block", "always"):
                total += _count_tasks(task.get(key), base, roles_dir, depth + 1)
            continue
        file_key = next((k for k in _INCLUDE_FILE if k in task), None)
        if file_key is not None:
            target = task[file_key]
            name = target.get("file") if isinstance(target, dict) else target
            if isinstance(name, str) and "{{" not in name:
                total += _count_tasks(_load(base / name), base, roles_dir, depth + 1)
            continue
        role_key = next((k for k in _INCLUDE_ROLE if k in task), None)
        if role_key is not None:
            target = task[role_key]
            name = target.get("name") if isinstance(target, dict) else None
            if roles and isinstance(name, str) and "{{" not in name:
                total += role_task_count(roles_dir, name)
            continue
        total += 1
    return total


@lru_cache(maxsize=64)
def role_task_count(roles_dir: Path, role: str) -> int:
    """Tasks of one role, plus the argument-spec validation task where the role has a spec."""
    tasks_dir = roles_dir / role / "tasks"
    count = _count_tasks(_load(tasks_dir / "main.yml"), tasks_dir, roles_dir, 0)
    if (roles_dir / role / "meta" / "argument_specs.yml").exists():
        count += 1
    return count


def expected_tasks(roles_dir: Path, playbook: Path, roles: list[str]) -> int:
    """Estimated task results per host: the playbook's own tasks, fact gathering, and each role's."""
    plays = _load(playbook) or []
    own = 0
    for play in plays if isinstance(plays, list) else []:
        if isinstance(play, dict):
            own += 1 if play.get("gather_facts", True) else 0
            # site.yml includes every role under a `when`: only the pool's roles run (added below).
            own += _count_tasks(play.get("tasks"), playbook.parent, roles_dir, 0, roles=False)
    return own + sum(role_task_count(roles_dir, role) for role in roles)
