"""``aiinfra up FILE --only configure --tags nccl,slurm``: one concern of the configure stage.

``roles/site.yml`` tags every role include with its concerns (and, through ``apply``, every task of
the role); the hardware scan and the installed-package read are tagged ``always``. This module holds
the same table, so a tag is checked before Ansible starts and the progress bar counts only the roles
that run (tests/configure/test_configure_tags.py reads site.yml and keeps the two in step).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiinfra_iac.errors import UsageError

ROLE_TAGS: Mapping[str, tuple[str, ...]] = {
    "host_tuning": ("tuning",),
    "nvidia_driver": ("driver",),
    "rdma_infiniband": ("rdma", "infiniband"),
    "roce": ("rdma", "roce"),
    "efa": ("rdma", "efa"),
    "bluefield_dpu": ("dpu",),
    "nccl": ("nccl",),
    "storage_client": ("storage",),
    "slurm": ("slurm",),
    "validation_tools": ("validation",),
    "observability": ("observability",),
}
"""Role → the concerns ``--tags`` selects it by, as ``roles/site.yml`` tags its include."""

CONFIGURE_TAGS: tuple[str, ...] = tuple(sorted({tag for tags in ROLE_TAGS.values() for tag in tags}))


def parse_tags(text: str) -> tuple[str, ...]:
    """``"nccl, slurm"`` → ``("nccl", "slurm")``; an unknown or empty selection is a usage error."""
    tags = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not tags:
        raise UsageError(f"--tags: name one or more concerns: {', '.join(CONFIGURE_TAGS)}")
    unknown = [tag for tag in tags if tag not in CONFIGURE_TAGS]
    if unknown:
        raise UsageError(
            f"--tags: unknown concern(s) {', '.join(unknown)}; the configure stage has: "
            f"{', '.join(CONFIGURE_TAGS)}"
        )
    return tags


def roles_for_tags(roles: Sequence[str], tags: Sequence[str]) -> list[str]:
    """The roles of ``roles`` that ``--tags`` runs; all of them when no tag is given."""
    if not tags:
        return list(roles)
    return [role for role in roles if set(ROLE_TAGS.get(role, ())) & set(tags)]
