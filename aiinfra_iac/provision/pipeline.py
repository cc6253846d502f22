"""The stages of ``aiinfra up``: provision → configure → validate, resumable per stack.

The command module handles the terminal (confirmation, exit codes); this module runs the
stages against a :class:`StageRecord`. Configure and validate are called lazily through
their stage functions (``run_configure``, ``run_validate``), so a test can replace them.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from aiinfra_iac.errors import AiinfraError, ConfigureError
from aiinfra_iac.plan.model import ClusterPlan
from aiinfra_iac.provision import sandbox
from aiinfra_iac.provision.providers import ADDRESSES_OUTPUT, STORAGE_ENDPOINTS_OUTPUT, provider_for
from aiinfra_iac.provision.stages import STAGES, Stage, StageRecord

EngineFactory = Callable[[ClusterPlan], Any]
"""Builds an object with ``up() -> ChangeSummary`` and ``outputs() -> dict`` (the real one: Engine)."""


@dataclass
class UpOutcome:
    ran: list[Stage] = field(default_factory=list)
    skipped: list[Stage] = field(default_factory=list)
    verdict: Any = None
    """The validate stage's ``Verdict`` when it ran."""

    @property
    def failed(self) -> bool:
        return self.verdict is not None and self.verdict.verdict == "fail"


def node_addresses(plan: ClusterPlan, engine_outputs: dict[str, Any] | None) -> dict[str, str] | None:
    """Addresses of the nodes: ``local`` for the local provider, the stack's output on aws.

    The configure stage of a ``sandbox: chroot`` cluster uses :func:`sandbox.chroot_addresses`
    instead; validate keeps ``local`` (the CPU fallback on this machine).
    """
    if plan.provider.type == "local":
        return {host: "local" for pool in plan.pools for host in pool.hosts}
    if plan.provider.type == "aws":
        found = (engine_outputs or {}).get(ADDRESSES_OUTPUT) or {}
        return {str(k): str(v) for k, v in dict(found).items()}
    return None


def storage_endpoints(engine_outputs: dict[str, Any] | None) -> dict[str, dict[str, str]] | None:
    """fsx-lustre name -> {dnsName, mountName} from the stack outputs; None before provisioning."""
    found = (engine_outputs or {}).get(STORAGE_ENDPOINTS_OUTPUT)
    if not found:
        return None
    return {str(name): {str(k): str(v) for k, v in dict(ep).items()} for name, ep in dict(found).items()}


def sandbox_validation_nodes(plan: ClusterPlan, state: Path) -> dict[str, Any] | None:
    """A running Slurm sandbox's nodes as validate reaches them (root + namespace); None elsewhere."""
    if not (sandbox.uses_chroot_sandbox(plan) and plan.scheduler.type == "slurm"):
        return None
    from aiinfra_iac.provision import sandbox_net
    from aiinfra_iac.validate.runners.sandbox_access import NodeAccess

    net = sandbox_net.require(plan, state)
    roots = sandbox.node_roots(plan, state)
    return {n.name: NodeAccess(n.name, roots[n.name], n.netns) for n in net.nodes}


def default_results_dir(plan: ClusterPlan, state: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return state / plan.name / "results" / stamp


class Pipeline:
    def __init__(
        self,
        plan: ClusterPlan,
        *,
        state: Path,
        console: Console,
        engine_factory: EngineFactory,
        results_dir: Path | None = None,
    ) -> None:
        self.plan = plan
        self.state = state
        self.console = console
        self.engine_factory = engine_factory
        self.results_dir = results_dir
        self._engine: Any = None
        self._outputs: dict[str, Any] | None = None

    def engine(self) -> Any:
        if self._engine is None:
            self._engine = self.engine_factory(self.plan)
        return self._engine

    def run(self, stages: Sequence[Stage] = STAGES, *, resume: bool = True) -> UpOutcome:
        record = StageRecord.load(self.state, self.plan)
        outcome = UpOutcome()
        for stage in stages:
            if resume and record.is_done(stage):
                self.console.print(
                    f"{stage}: done earlier for this blueprint, skipped (`aiinfra down` resets)"
                )
                outcome.skipped.append(stage)
                continue
            getattr(self, f"_{stage}")(outcome)
            outcome.ran.append(stage)
            if outcome.failed:
                return outcome
            record.mark(stage)
        return outcome

    def _provision(self, outcome: UpOutcome) -> None:
        provider = provider_for(self.plan)
        if not provider.creates_cloud_resources:
            self.console.print(f"provision: {provider.describe(self.plan)}")
            if sandbox.uses_chroot_sandbox(self.plan):
                self._provision_sandbox()
            return
        self.console.print(f"provision: {provider.describe(self.plan)}")
        summary = self.engine().up()
        self._outputs = self.engine().outputs()
        self.console.print(f"provision: done ({summary.describe()})")

    def _provision_sandbox(self) -> None:
        started = time.monotonic()
        from aiinfra_iac.provision import sandbox_cluster

        made = sandbox_cluster.provision(self.plan, self.state)
        changes = made.changes
        where = sandbox.sandbox_dir(self.plan, self.state)
        done = f"created {', '.join(changes.created)}" if changes.created else "nothing to create"
        kept = f"; already present: {', '.join(changes.present)}" if changes.present else ""
        gone = f"; removed (no longer in the plan): {', '.join(changes.removed)}" if changes.removed else ""
        self.console.print(
            f"provision: sandbox roots in {where}: {done}{kept}{gone} ({time.monotonic() - started:.1f} s)"
        )
        for line in made.describe():
            self.console.print(f"provision: {line}")

    def _configure(self, outcome: UpOutcome) -> None:
        try:
            from aiinfra_iac.configure.stage import run_configure
        except ImportError as error:
            raise ConfigureError(f"the configure stage is not available in this install: {error}") from error
        if sandbox.uses_chroot_sandbox(self.plan):
            addresses: dict[str, str] | None = sandbox.configure_addresses(self.plan, self.state)
        else:
            addresses = self._node_addresses()
        result = run_configure(
            self.plan,
            check=False,
            console=self.console,
            addresses=addresses,
            storage_endpoints=storage_endpoints(self._outputs),
        )
        if result.skipped_reason:
            self.console.print(f"configure: {result.skipped_reason}")
        if sandbox.uses_chroot_sandbox(self.plan) and self.plan.scheduler.type == "slurm":
            self._start_sandbox_services()

    def _start_sandbox_services(self) -> None:
        from aiinfra_iac.provision import sandbox_daemons

        started = time.monotonic()
        for svc in sandbox_daemons.start_all(self.plan, self.state):
            how = "started" if svc.new else "already running"
            self.console.print(f"configure: {svc.node}: {svc.service} {how} (pid {svc.pid})")
        took = time.monotonic() - started
        self.console.print(f"configure: Slurm nodes idle, Prometheus scraping every node ({took:.1f} s)")

    def _validate(self, outcome: UpOutcome) -> None:
        try:
            from aiinfra_iac.validate.stage import run_validate
        except ImportError as error:
            raise AiinfraError(f"the validate stage is not available in this install: {error}") from error
        results = self.results_dir or default_results_dir(self.plan, self.state)
        self.console.print(f"validate: writing results to {results}")
        outcome.verdict = run_validate(
            self.plan,
            results,
            collect=True,
            console=self.console,
            addresses=self._node_addresses(),
            sandbox_nodes=sandbox_validation_nodes(self.plan, self.state),
        )

    def _node_addresses(self) -> dict[str, str] | None:
        """Node name -> address from the stack outputs (aws), so configure and validate reach the nodes."""
        outputs = self._outputs
        if (
            outputs is None
            and provider_for(self.plan).creates_cloud_resources
            and self.plan.provider.type == "aws"
        ):
            outputs = self._outputs = self.engine().outputs()
        return node_addresses(self.plan, outputs)
