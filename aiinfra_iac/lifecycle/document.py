"""The ``aiinfra plan`` document: resources, per-pool configuration, validation checks, summary.

One dict with exactly the keys DESIGN.md fixes for ``plan --format json``::

    {"cluster", "resources": [{type, name, inputs}], "configuration": [{pool, hosts, roles, vars}],
     "validation": [{id, kind, pool, expected, unit}], "summary": {nodes, gpus, estimatedHourlyUSD}}

plus ``schemaVersion`` and ``review`` (per-pool facts for reviewers, :mod:`aiinfra_iac.plan.review`).
"""

from __future__ import annotations

from typing import Any

from aiinfra_iac.configure.inventory import configuration_entries
from aiinfra_iac.plan.model import ClusterPlan

PLAN_SCHEMA_VERSION = 1
"""Version of the plan JSON document; bumped only when a key changes meaning or goes away."""


def configuration(plan: ClusterPlan) -> list[dict[str, Any]]:
    return [dict(entry) for entry in configuration_entries(plan)]


def validation(plan: ClusterPlan) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "kind": c.kind, "pool": c.pool, "expected": c.expected, "unit": c.unit}
        for c in plan.validation
    ]


def summary(plan: ClusterPlan) -> dict[str, Any]:
    return {
        "nodes": plan.summary.nodes,
        "gpus": plan.summary.gpus,
        "estimatedHourlyUSD": plan.summary.estimated_hourly_usd,
    }


def plan_document(
    plan: ClusterPlan,
    resources: list[dict[str, Any]] | None = None,
    suppressed: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Render everything offline; no credentials, no Pulumi CLI, no network.

    ``resources`` skips the render when the caller already has ``render_offline(plan)``.
    """
    from aiinfra_iac.plan.review import review
    from aiinfra_iac.provision.offline import render_offline

    return {
        "schemaVersion": PLAN_SCHEMA_VERSION,
        "cluster": plan.name,
        "resources": render_offline(plan) if resources is None else resources,
        "configuration": configuration(plan),
        "validation": validation(plan),
        "summary": summary(plan),
        "review": review(plan, suppressed),
    }
