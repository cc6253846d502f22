"""nccl: ``<collective>_perf -b … -e … -f 2 -g <gpus>`` per node (or across the pool) →
``nccl_<collective>.log`` → no data errors, the fabric's transport, the sweep reaches the planned
largest size, bus bandwidth at that size."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan
from aiinfra_iac.validate import layout
from aiinfra_iac.validate.kinds.base import Figure, Kind
from aiinfra_iac.validate.kinds.params import NcclParams, nccl_params
from aiinfra_iac.validate.parsers.nccl import parse_nccl_tests
from aiinfra_iac.validate.parsers.types import NcclRun
from aiinfra_iac.validate.rules.common import Target
from aiinfra_iac.validate.rules.nccl import judge_nccl
from aiinfra_iac.validate.runners.commands import Step, nccl_args, nccl_env
from aiinfra_iac.validate.types import CheckResult


class NcclKind(Kind):
    name = "nccl"
    tool = "all_reduce_perf"
    streams = True

    def params(self, check: ValidationCheckPlan, pool: PoolPlan) -> NcclParams:
        return nccl_params(check, pool)

    def steps(self, plan: ClusterPlan, check: ValidationCheckPlan, pool: PoolPlan, node: str) -> list[Step]:
        args = nccl_args(self.params(check, pool), pool.gpus_per_node)
        out = f"{node}/{layout.nccl_file(layout.collective_of(check))}"
        return [Step(check.id, node, args, out, env=nccl_env(pool), tool=args[0])]

    def files(
        self, plan: ClusterPlan, results_dir: Path, check: ValidationCheckPlan, pool: PoolPlan, node: str
    ) -> list[tuple[Path, str]]:
        return [(layout.check_path(plan, results_dir, check, node), "")]

    def parse(self, text: str | Iterable[str], check: ValidationCheckPlan) -> NcclRun:
        return parse_nccl_tests(text, collective=layout.collective_of(check))

    def judge(self, plan: ClusterPlan, target: Target, parsed: NcclRun) -> CheckResult:
        check = target.check
        pool = plan.pool(check.pool)
        params = self.params(check, pool)
        ranks = params.gpus * (pool.count if check.scope == "pool" else 1)
        return judge_nccl(
            target, parsed, pool, plan.rules, expected_ranks=ranks, planned_largest=params.planned_largest
        )

    def facts(self, parsed: NcclRun) -> dict[str, object]:
        return {
            "nccl": parsed.nccl_version or "",
            "nccl-tests": parsed.tests_version or "",
            "gpus": list(dict.fromkeys(parsed.devices)),
        }

    def duration(self, parsed: NcclRun) -> float | None:
        """The sweep's measured time: per row out-of-place + in-place time x the run's iterations."""
        if not parsed.rows or parsed.iters is None:
            return None
        per_iter_us = sum(r.oop_time_us + (r.ip_time_us or 0.0) for r in parsed.rows)
        return per_iter_us * parsed.iters / 1e6

    def plot(
        self,
        plan: ClusterPlan,
        checks: list[ValidationCheckPlan],
        results: dict[str, list[CheckResult]],
        root: Path,
    ) -> list[Figure]:
        from aiinfra_iac.validate.reports.html import nccl_plot

        return [
            (
                f"NCCL {layout.collective_of(c)} bus bandwidth — {c.id}",
                nccl_plot(plan, c, results[c.id], root, self.params(c, plan.pool(c.pool)).planned_largest),
            )
            for c in checks
            if results.get(c.id)
        ]


NCCL = NcclKind()
