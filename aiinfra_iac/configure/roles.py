"""Which Ansible roles apply to a pool: read from the plan (derived once in :mod:`aiinfra_iac.plan.roles`)."""

from __future__ import annotations

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan
from aiinfra_iac.plan.roles import MOUNTED_STORAGE_TYPES, NOT_CONFIGURED, ROLE_ORDER, configures_nodes

__all__ = ["MOUNTED_STORAGE_TYPES", "NOT_CONFIGURED", "ROLE_ORDER", "configures_nodes", "roles_for_pool"]


def roles_for_pool(plan: ClusterPlan, pool: PoolPlan) -> list[str]:
    """The roles applied to ``pool``, in :data:`ROLE_ORDER`, as the plan carries them."""
    del plan  # the plan's pool already carries its roles
    return list(pool.roles)
