"""Resolve a blueprint and the catalog into the :class:`ClusterPlan` every later stage reads."""

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan
from aiinfra_iac.plan.resolve import plan_from_file, resolve

__all__ = ["ClusterPlan", "PoolPlan", "ValidationCheckPlan", "plan_from_file", "resolve"]
