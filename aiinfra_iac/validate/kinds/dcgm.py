"""dcgm: ``dcgmi diag -r <level> -j`` per node → ``<node>/dcgm_diag.json`` → every test passes,
and not all of them were skipped."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan
from aiinfra_iac.validate import layout
from aiinfra_iac.validate.kinds.base import Figure, Kind
from aiinfra_iac.validate.kinds.params import DcgmParams, dcgm_params
from aiinfra_iac.validate.parsers.dcgm import parse_dcgm_diag
from aiinfra_iac.validate.parsers.types import DcgmResult
from aiinfra_iac.validate.rules.common import Target
from aiinfra_iac.validate.rules.dcgm import judge_dcgm
from aiinfra_iac.validate.runners.commands import Step
from aiinfra_iac.validate.types import CheckResult


class DcgmKind(Kind):
    name = "dcgm"
    tool = "dcgmi"

    def params(self, check: ValidationCheckPlan, pool: PoolPlan) -> DcgmParams:
        return dcgm_params(check)

    def steps(self, plan: ClusterPlan, check: ValidationCheckPlan, pool: PoolPlan, node: str) -> list[Step]:
        argv = ("dcgmi", "diag", "-r", str(self.params(check, pool).level), "-j")
        return [Step(check.id, node, argv, f"{node}/{layout.DCGM_FILE}", tool=self.tool)]

    def files(
        self, plan: ClusterPlan, results_dir: Path, check: ValidationCheckPlan, pool: PoolPlan, node: str
    ) -> list[tuple[Path, str]]:
        return [(results_dir / node / layout.DCGM_FILE, "")]

    def parse(self, text: str | Iterable[str], check: ValidationCheckPlan) -> DcgmResult:
        # one JSON document (or dcgmi's text table): read whole (streams is False, 16 MiB cap)
        return parse_dcgm_diag(text if isinstance(text, str) else "\n".join(text))

    def judge(self, plan: ClusterPlan, target: Target, parsed: DcgmResult) -> CheckResult:
        return judge_dcgm(target, parsed)

    def facts(self, parsed: DcgmResult) -> dict[str, object]:
        return {"dcgm": parsed.version or ""}

    def plot(
        self,
        plan: ClusterPlan,
        checks: list[ValidationCheckPlan],
        results: dict[str, list[CheckResult]],
        root: Path,
    ) -> list[Figure]:
        return []  # pass/fail per test: the status grid and the worst-N table of the report show it


DCGM = DcgmKind()
