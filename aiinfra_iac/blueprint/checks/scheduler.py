"""Scheduler checks: the controller a Slurm cluster needs, per-type settings, provider fit."""

from __future__ import annotations

from collections.abc import Iterator

from aiinfra_iac.blueprint.checks.base import Context, Finding, rule


@rule("AI160", "error", "slurm without a controller pool")
def slurm_needs_controller(ctx: Context) -> Iterator[Finding]:
    # an error, not a warning: configure must know where slurmctld runs, and a compute node
    # doubling as controller silently steals CPU and memory from training jobs
    if ctx.blueprint.spec.scheduler.type != "slurm":
        return
    if not any(pool.role == "controller" for _, pool in ctx.pools()):
        yield Finding(
            ("spec", "nodePools"),
            "scheduler slurm needs a pool with role: controller (runs slurmctld), e.g. "
            "{name: head, role: controller, count: 1}",
        )


@rule("AI161", "error", "scheduler settings of another scheduler type")
def settings_match_scheduler(ctx: Context) -> Iterator[Finding]:
    scheduler = ctx.blueprint.spec.scheduler
    for key, value in (
        ("kubernetes", scheduler.kubernetes),
        ("slurm", scheduler.slurm),
        ("ray", scheduler.ray),
    ):
        if value is not None and key != scheduler.type:
            yield Finding(
                ("spec", "scheduler", key),
                f"'{key}' settings apply to scheduler type {key}, not {scheduler.type}; remove them",
            )


@rule("AI162", "error", "existing Kubernetes cluster with another scheduler")
def kubernetes_provider_scheduler(ctx: Context) -> Iterator[Finding]:
    scheduler = ctx.blueprint.spec.scheduler
    if ctx.provider == "kubernetes" and scheduler.type != "kubernetes":
        yield Finding(
            ("spec", "scheduler", "type"),
            "provider kubernetes is an existing Kubernetes cluster; scheduler must be kubernetes, "
            f"not {scheduler.type}",
        )


@rule("AI163", "error", "EKS with every pool tainted and no system node group")
def eks_needs_untainted_nodes(ctx: Context) -> Iterator[Finding]:
    # CoreDNS, the operators' controllers, Kueue and Prometheus tolerate no GPU taint: with every
    # pool tainted and systemNodes: 0 they stay Pending and the chained, atomic releases roll back
    scheduler = ctx.blueprint.spec.scheduler
    if ctx.provider != "aws" or scheduler.type != "kubernetes" or scheduler.kubernetes is None:
        return
    pools = [pool for _, pool in ctx.pools()]
    if scheduler.kubernetes.system_nodes == 0 and pools and all(pool.taints for pool in pools):
        yield Finding(
            ("spec", "scheduler", "kubernetes", "systemNodes"),
            "every node pool is tainted and systemNodes is 0, so cluster add-ons (CoreDNS, operators, "
            "Kueue, Prometheus) cannot schedule; keep systemNodes >= 1 (default 2) or add an untainted pool",
        )
