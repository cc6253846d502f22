"""``aiinfra up FILE --only configure --tags nccl,slurm``: one concern of the configure stage.

``roles/site.yml`` is the one place the concerns are written: it tags every role include with them
(and, through ``apply``, every task of the role); the hardware scan and the installed-package read are
tagged ``always``. The table here is read from it, so a tag is checked before Ansible starts and the
progress bar counts only the roles that run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from ruamel.yaml import YAML

from aiinfra_iac.errors import UsageError

_INCLUDE_ROLE = "ansible.builtin.include_role"


@lru_cache(maxsize=4)
def role_tags(playbook: Path) -> Mapping[str, tuple[str, ...]]:
    """Role → the concerns ``--tags`` selects it by: the tags of its include in ``playbook``."""
    plays = YAML(typ="safe").load(playbook.read_text()) or []
    return {
        task[_INCLUDE_ROLE]["name"]: tuple(task.get("tags", ()))
        for play in plays
        for task in play.get("tasks", [])
        if _INCLUDE_ROLE in task
    }


def configure_tags(playbook: Path) -> tuple[str, ...]:
    """Every concern ``playbook`` tags a role with, sorted."""
    return tuple(sorted({tag for tags in role_tags(playbook).values() for tag in tags}))


def parse_tags(text: str, playbook: Path) -> tuple[str, ...]:
    """``"nccl, slurm"`` → ``("nccl", "slurm")``; an unknown or empty selection is a usage error."""
    known = configure_tags(playbook)
    tags = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not tags:
        raise UsageError(f"--tags: name one or more concerns: {', '.join(known)}")
    unknown = [tag for tag in tags if tag not in known]
    if unknown:
        raise UsageError(
            f"--tags: unknown concern(s) {', '.join(unknown)}; the configure stage has: {', '.join(known)}"
        )
    return tags


def roles_for_tags(roles: Sequence[str], tags: Sequence[str], playbook: Path) -> list[str]:
    """The roles of ``roles`` that ``--tags`` runs; all of them when no tag is given."""
    if not tags:
        return list(roles)
    table = role_tags(playbook)
    return [role for role in roles if set(table.get(role, ())) & set(tags)]
