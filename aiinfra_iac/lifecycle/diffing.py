"""``aiinfra diff``: the cloud side (Pulumi refresh + preview) and the node side (Ansible check mode).

The node side reaches exactly the nodes ``up`` configured: the deployment record's accesses and
storage endpoints, the same inventory ``up`` applied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from aiinfra_iac.deployment.paths import configure_dir, state_dir
from aiinfra_iac.lifecycle.up_stages import current_deployment
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision.providers import provider_for

DIFF_SCHEMA_VERSION = 1
"""Version of ``diff --format json``; raised when a key changes meaning or goes away."""

EngineFactory = Callable[[ClusterPlan], Any]
ConfigureCheck = Callable[..., Any]


@dataclass(frozen=True)
class DiffReport:
    cluster: str
    cloud_changes: int
    cloud_detail: str
    node_changes: tuple[str, ...]
    node_detail: str

    @property
    def changes_present(self) -> bool:
        return self.cloud_changes > 0 or bool(self.node_changes)

    def lines(self) -> list[str]:
        shown = ", ".join(self.node_changes[:10]) + (
            f" and {len(self.node_changes) - 10} more" if len(self.node_changes) > 10 else ""
        )
        nodes = f"{len(self.node_changes)} node(s) differ: {shown}" if self.node_changes else self.node_detail
        verdict = "changes present" if self.changes_present else "no changes"
        return [f"{self.cluster}: {verdict}", f"  cloud: {self.cloud_detail}", f"  nodes: {nodes}"]

    def as_json(self) -> dict[str, Any]:
        """The ``diff --format json`` document (every node that differs, not a shortened list)."""
        return {
            "schemaVersion": DIFF_SCHEMA_VERSION,
            "cluster": self.cluster,
            "changesPresent": self.changes_present,
            "cloud": {"changes": self.cloud_changes, "detail": self.cloud_detail},
            "nodes": {"changed": list(self.node_changes), "detail": self.node_detail},
        }


def _default_engine(state: Path, console: Console) -> EngineFactory:
    def build(plan: ClusterPlan) -> Any:
        from aiinfra_iac.provision.engine import Engine

        return Engine(
            plan, state=state, progress=lambda line: console.out(line.rstrip("\n"), highlight=False)
        )

    return build


def _default_configure() -> ConfigureCheck:
    from aiinfra_iac.configure.stage import run_configure

    return run_configure


def diff_cluster(
    plan: ClusterPlan,
    *,
    state: Path | None,
    console: Console,
    engine_factory: EngineFactory | None = None,
    configure_check: ConfigureCheck | None = None,
) -> DiffReport:
    provider = provider_for(plan)
    root = state_dir(state)
    engine = (
        (engine_factory or _default_engine(root, console))(plan) if provider.creates_cloud_resources else None
    )
    deployment = current_deployment(plan, root)
    if engine is not None:
        preview = engine.preview()  # refreshes first, so drift made outside Pulumi shows
        cloud_changes, cloud_detail = preview.changes, preview.describe()
    else:
        cloud_changes, cloud_detail = 0, f"provider {plan.provider.type}: no cloud resources"
    run_configure = configure_check or _default_configure()
    result = run_configure(
        plan,
        check=True,
        console=console,
        deployment=deployment,
        private_data_dir=configure_dir(root, plan),
    )
    node_detail = result.skipped_reason or "no node differs from the blueprint"
    return DiffReport(plan.name, cloud_changes, cloud_detail, tuple(result.changed_hosts), node_detail)
