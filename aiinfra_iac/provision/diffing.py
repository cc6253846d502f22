"""``aiinfra diff``: the cloud side (Pulumi preview) and the node side (Ansible check mode)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from aiinfra_iac.errors import AiinfraError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox
from aiinfra_iac.provision.pipeline import node_addresses
from aiinfra_iac.provision.providers import provider_for

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


def _default_engine(state: Path | None, console: Console) -> EngineFactory:
    def build(plan: ClusterPlan) -> Any:
        from aiinfra_iac.provision.engine import Engine

        return Engine(
            plan, state=state, progress=lambda line: console.out(line.rstrip("\n"), highlight=False)
        )

    return build


def _default_configure() -> ConfigureCheck:
    try:
        from aiinfra_iac.configure.stage import run_configure
    except ImportError as error:
        raise AiinfraError(f"the configure stage is not available in this install: {error}") from error
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
    outputs: dict[str, Any] | None = None
    if provider.creates_cloud_resources:
        engine = (engine_factory or _default_engine(state, console))(plan)
        preview = engine.preview()
        cloud_changes, cloud_detail = preview.changes, preview.describe()
        if plan.provider.type == "aws":
            outputs = engine.outputs()
    else:
        cloud_changes, cloud_detail = 0, f"provider {plan.provider.type}: no cloud resources"
    run_configure = configure_check or _default_configure()
    if sandbox.uses_chroot_sandbox(plan):
        from aiinfra_iac.provision.engine import state_dir

        addresses: dict[str, str] | None = sandbox.configure_addresses(plan, state_dir(state))
    else:
        addresses = node_addresses(plan, outputs)
    result = run_configure(plan, check=True, console=console, addresses=addresses)
    node_detail = result.skipped_reason or "no node differs from the blueprint"
    return DiffReport(plan.name, cloud_changes, cloud_detail, tuple(result.changed_hosts), node_detail)
