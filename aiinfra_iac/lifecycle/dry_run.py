"""``aiinfra up FILE --dry-run``: what ``up`` would do, as text, without doing any of it.

Nothing is created and nothing outside this machine is asked: the program is rendered under
Pulumi's mocks (as ``plan`` does), the stage record is only read, and preflight is named, not run.
For capacity-block pools it shows the node group's start size (0) and the scheduled actions
that scale it up at the block's start and in before its end
(https://docs.aws.amazon.com/eks/latest/userguide/capacity-blocks-mng.html).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from aiinfra_iac.lifecycle.stages import Stage, StageRecord
from aiinfra_iac.plan.capacity_schedule import SCALE_IN_BEFORE_END, block_schedule, initial_size, stamp
from aiinfra_iac.plan.model import ClusterPlan, PoolPlan
from aiinfra_iac.plan.system_pool import system_pool


def _hours(minutes: float) -> str:
    return f"{minutes / 60:g} h" if minutes >= 60 else f"{minutes:g} min"


def capacity_lines(pool: PoolPlan) -> list[str]:
    """One line on how the pool's nodes come up, then its scheduled actions (capacity blocks)."""
    capacity = pool.capacity
    what = f"pool {pool.name}: {pool.count} x {pool.instance_type or 'unknown type'}, {capacity.type}"
    if capacity.reservation_id:
        what += f" {capacity.reservation_id}"
    if capacity.type != "capacity-block":
        return [f"{what}; created with {initial_size(pool)} node(s)"]
    lines = [f"{what}; created with 0 nodes (a block cannot launch before it starts)"]
    steps = block_schedule(pool)
    if not steps:
        lines.append(
            "  no schedule: capacity.start/end are not set, so the group stays at 0; "
            "`aiinfra preflight FILE` prints the block's times to put there"
        )
        return lines
    assert capacity.end is not None
    before = _hours(SCALE_IN_BEFORE_END.total_seconds() / 60)
    start, end = steps
    lines.append(f"  {start['start_time']}  scale to {start['size']} node(s) (the block starts)")
    lines.append(
        f"  {end['start_time']}  scale to 0 ({before} before the block ends at {stamp(capacity.end)}; "
        "EC2 reclaims its instances from 30 min before the end)"
    )
    return lines


def endpoint_line(plan: ClusterPlan) -> str | None:
    """The EKS API endpoint access ``up`` would set (aws + kubernetes only)."""
    if plan.provider.type != "aws" or plan.scheduler.type != "kubernetes":
        return None
    from aiinfra_iac.plan.eks_endpoint import (
        endpoint_access,
        private_endpoint_note,
        unchosen_private_endpoint,
    )

    if (problem := unchosen_private_endpoint(plan)) is not None:
        return f"EKS API endpoint: private, not chosen by the blueprint: up would stop first; {problem}"
    if (note := private_endpoint_note(plan)) is not None:
        return f"EKS API endpoint: private (chosen); {note}"
    access = endpoint_access(plan.provider)
    return f"EKS API endpoint: {access.mode}, public from {', '.join(access.public_cidrs)}"


def dry_run_lines(
    plan: ClusterPlan,
    stages: Sequence[Stage],
    *,
    resume: bool,
    state: Path,
    describe: str,
    resources: list[dict[str, object]],
) -> list[str]:
    """The report: stages, the resources the program would register, capacity and access settings."""
    done = StageRecord.load(state, plan).completed if resume else []
    todo = [s for s in stages if s not in done]
    lines = [f"{plan.name}: dry run; nothing is created and Pulumi, Ansible and the cloud are not called."]
    lines.append("would run: " + (", ".join(todo) if todo else "nothing (every stage finished earlier)"))
    if done:
        lines.append("finished earlier, skipped: " + ", ".join(s for s in stages if s in done))
    if "provision" in todo:
        lines.append(f"provision {describe}")
        counts = Counter(str(r["type"]) for r in resources)
        lines.append(f"resources: {len(resources)} (rendered under Pulumi's mocks, as `aiinfra plan` does)")
        lines += [f"  {count:4d}  {kind}" for kind, count in sorted(counts.items())]
        if plan.provider.type == "aws":
            extra = system_pool(plan)
            for pool in (*plan.pools, *((extra,) if extra else ())):
                lines += capacity_lines(pool)
            if (endpoint := endpoint_line(plan)) is not None:
                lines.append(endpoint)
            lines.append("preflight: not run by --dry-run; `aiinfra preflight FILE` asks AWS (up runs it)")
    lines.append(f"estimated cost: about ${plan.summary.estimated_hourly_usd:,.2f}/hour once every node runs")
    return lines
