"""Small helpers shared by every provider's components: tags, labels and retained storage."""

from __future__ import annotations

from aiinfra_iac.blueprint.models import Storage
from aiinfra_iac.plan.model import ClusterPlan

CLOUD_STORAGE_TYPES = ("fsx-lustre", "s3")
"""Storage types that are cloud resources (the rest, nfs and local-nvme, are mounted by configure)."""


def cluster_tags(plan: ClusterPlan, **extra: str) -> dict[str, str]:
    """AWS tags on every resource: the blueprint's labels plus who owns it."""
    tags = {str(k): str(v) for k, v in plan.labels.items()}
    tags["aiinfra:cluster"] = plan.name
    if plan.team:
        tags["aiinfra:team"] = plan.team
    tags.update(extra)
    return tags


def cluster_labels(plan: ClusterPlan) -> dict[str, str]:
    """Kubernetes labels (``/`` and ``:`` are not allowed in label keys the way tags use them)."""
    labels = {"app.kubernetes.io/managed-by": "aiinfra", "aiinfra.dev/cluster": plan.name}
    if plan.team:
        labels["aiinfra.dev/team"] = plan.team
    return labels


def cloud_storage(plan: ClusterPlan) -> list[Storage]:
    """Storage entries the cloud program creates (aws only)."""
    if plan.provider.type != "aws":
        return []
    return [s for s in plan.storage if s.type in CLOUD_STORAGE_TYPES]


def retained_storage(plan: ClusterPlan) -> list[str]:
    """Names of cloud storage ``down`` keeps (``retain: true``: protected and retained on delete)."""
    return [s.name for s in cloud_storage(plan) if s.retain]
