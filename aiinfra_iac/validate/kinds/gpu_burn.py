"""gpu_burn: ``gpu_burn -tc <seconds>`` per node → ``<node>/gpu_burn.log`` → every GPU OK, no error line."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan
from aiinfra_iac.validate import layout
from aiinfra_iac.validate.kinds.base import Figure, Kind
from aiinfra_iac.validate.kinds.params import GpuBurnParams, gpu_burn_params
from aiinfra_iac.validate.parsers.gpu_burn import parse_gpu_burn
from aiinfra_iac.validate.parsers.types import GpuBurnResult
from aiinfra_iac.validate.rules.common import Target
from aiinfra_iac.validate.rules.gpu_burn import judge_gpu_burn
from aiinfra_iac.validate.runners.commands import Step
from aiinfra_iac.validate.types import CheckResult


class GpuBurnKind(Kind):
    name = "gpu_burn"
    tool = "gpu_burn"
    streams = True

    def params(self, check: ValidationCheckPlan, pool: PoolPlan) -> GpuBurnParams:
        return gpu_burn_params(check, pool)

    def steps(self, plan: ClusterPlan, check: ValidationCheckPlan, pool: PoolPlan, node: str) -> list[Step]:
        seconds = str(self.params(check, pool).seconds)
        argv = ("gpu_burn", "-tc", seconds)
        return [Step(check.id, node, argv, f"{node}/{layout.GPU_BURN_FILE}", tool=self.tool)]

    def files(
        self, plan: ClusterPlan, results_dir: Path, check: ValidationCheckPlan, pool: PoolPlan, node: str
    ) -> list[tuple[Path, str]]:
        return [(results_dir / node / layout.GPU_BURN_FILE, "")]

    def parse(self, text: str | Iterable[str], check: ValidationCheckPlan) -> GpuBurnResult:
        return parse_gpu_burn(text)

    def judge(self, plan: ClusterPlan, target: Target, parsed: GpuBurnResult) -> CheckResult:
        pool = plan.pool(target.check.pool)
        return judge_gpu_burn(target, parsed, self.params(target.check, pool).gpus, pool)

    def facts(self, parsed: GpuBurnResult) -> dict[str, object]:
        return {"gpus": list(parsed.gpu_names)}

    def duration(self, parsed: GpuBurnResult) -> float | None:
        return float(parsed.seconds) if parsed.seconds is not None else None

    def plot(
        self,
        plan: ClusterPlan,
        checks: list[ValidationCheckPlan],
        results: dict[str, list[CheckResult]],
        root: Path,
    ) -> list[Figure]:
        from aiinfra_iac.validate.reports.html import burn_plot

        return [
            (f"GPU burn — {c.id}", burn_plot(plan, c, results[c.id], root))
            for c in checks
            if results.get(c.id)
        ]


GPU_BURN = GpuBurnKind()
