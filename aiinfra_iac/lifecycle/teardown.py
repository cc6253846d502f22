"""``aiinfra down``: remove what ``up`` made, say what stays and why, leave the state clean.

* aws/kubernetes: the stack is destroyed (refreshed first); storage with ``retain: true`` is
  protected and kept, and with it every resource it depends on (Pulumi keeps the dependencies of
  protected resources: the VPC, subnet and security group of a kept file system) — read back
  from the stack and listed, each with why it stays;
* local ``sandbox: chroot``: the node roots are removed (listed by name);
* always: the configure stage's runner artifacts and the deployment record are removed, the
  stage record reset. Validation results stay (``<state>/<stack>/results``) and are named.
Running it twice is harmless: the second run finds nothing and says so.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from aiinfra_iac.deployment import remove_deployment
from aiinfra_iac.deployment.paths import configure_dir, results_root, stack_name, validate_dir
from aiinfra_iac.lifecycle.stages import StageRecord
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox, sandbox_cluster
from aiinfra_iac.provision.providers import provider_for

EngineFactory = Callable[[ClusterPlan], Any]


@dataclass
class Teardown:
    destroyed: str = ""
    kept: list[str] = field(default_factory=list)
    """Lines ``<type> <name>: why it stays``."""
    removed: list[str] = field(default_factory=list)
    results: Path | None = None

    def lines(self, cluster: str) -> list[str]:
        out = [f"{cluster}: {self.destroyed}"]
        if self.kept:
            out.append(f"kept ({len(self.kept)}):")
            out += [f"  {line}" for line in self.kept]
        out += [f"removed {what}" for what in self.removed]
        if self.results is not None:
            out.append(f"validation results kept in {self.results}")
        return out


def why_kept(kind: str, name: str, protected: bool, retained: list[str]) -> str:
    if protected:
        which = next((r for r in retained if name == r or name.endswith(f"-{r}")), None)
        return f"{kind} {name}: retain: true{f' (storage {which})' if which else ''} — data is kept"
    return f"{kind} {name}: a retained resource depends on it"


def tear_down(
    plan: ClusterPlan,
    state: Path,
    console: Console,
    *,
    engine_factory: EngineFactory,
    purge_retained: bool = False,
) -> Teardown:
    """Destroy and clean up (the caller holds the stack lock and asked for confirmation)."""
    done = Teardown()
    if sandbox.uses_chroot_sandbox(plan):
        where = sandbox.sandbox_dir(plan, state)
        gone = sandbox_cluster.teardown(plan, state)  # processes, mounts, namespaces, bridge, roots
        done.destroyed = (
            f"removed the sandbox in {where}" if gone else f"no sandbox in {where}; nothing to remove"
        )
        done.removed += gone
    elif provider_for(plan).creates_cloud_resources:
        engine = engine_factory(plan)
        summary, retained = engine.destroy(purge_retained=purge_retained)
        done.destroyed = f"destroyed ({summary.describe()})"
        done.kept = [why_kept(kind, name, prot, retained) for kind, name, prot in engine.remaining()]
    else:
        done.destroyed = f"provider {plan.provider.type} provisions no resources; nothing to destroy"
    for stage, artifacts in (
        ("configure", configure_dir(state, plan)),
        ("validate", validate_dir(state, plan)),
    ):
        if artifacts.exists():
            shutil.rmtree(artifacts)
            done.removed.append(f"the {stage} runner artifacts ({artifacts})")
    stack = stack_name(plan)
    if remove_deployment(state, stack):
        done.removed.append(f"the deployment record ({state / stack / 'deployment.json'})")
    StageRecord.load(state, plan).reset()
    results = results_root(state, plan)
    done.results = results if results.is_dir() and any(results.iterdir()) else None
    return done
