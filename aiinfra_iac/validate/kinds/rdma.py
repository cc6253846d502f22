"""rdma: ``ib_write_bw -a --report_gbits`` per rail between node pairs → ``<node>/ib_write_bw_<dev>.log``
→ the right HCA, the sweep reaches perftest's largest size, average bandwidth there vs the link."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from aiinfra_iac.plan.model import ClusterPlan, PoolPlan, ValidationCheckPlan
from aiinfra_iac.validate import layout
from aiinfra_iac.validate.kinds.base import Figure, Kind
from aiinfra_iac.validate.kinds.params import RdmaParams, rdma_params
from aiinfra_iac.validate.parsers.perftest import parse_perftest
from aiinfra_iac.validate.parsers.types import PerftestResult
from aiinfra_iac.validate.rules.common import Target
from aiinfra_iac.validate.rules.rdma import judge_rdma
from aiinfra_iac.validate.runners.commands import Step, rdma_steps
from aiinfra_iac.validate.types import CheckResult


class RdmaKind(Kind):
    name = "rdma"
    tool = "ib_write_bw"
    streams = True

    def params(self, check: ValidationCheckPlan, pool: PoolPlan) -> RdmaParams:
        return rdma_params(check)

    def steps(self, plan: ClusterPlan, check: ValidationCheckPlan, pool: PoolPlan, node: str) -> list[Step]:
        """This node's side of every pair (the pairs are built over the whole pool)."""
        return [s for s in rdma_steps(check, pool, pool.hosts) if s.host == node]

    def files(
        self, plan: ClusterPlan, results_dir: Path, check: ValidationCheckPlan, pool: PoolPlan, node: str
    ) -> list[tuple[Path, str]]:
        # one plan check per rail names its device in the id already
        suffix = "device" not in check.params
        return [
            (results_dir / node / layout.rdma_file(device), device if suffix else "")
            for device in layout.rdma_devices(check, pool)
        ]

    def parse(self, text: str | Iterable[str], check: ValidationCheckPlan) -> PerftestResult:
        return parse_perftest(text)

    def judge(self, plan: ClusterPlan, target: Target, parsed: PerftestResult) -> CheckResult:
        planned = self.params(target.check, plan.pool(target.check.pool)).planned_largest
        return judge_rdma(target, parsed, plan.rules, planned_largest=planned)

    def facts(self, parsed: PerftestResult) -> dict[str, object]:
        hca = f"{parsed.device} ({parsed.link_type})" if parsed.link_type else parsed.device
        return {"hcas": [hca] if hca else [], "perftest": parsed.test or ""}

    def plot(
        self,
        plan: ClusterPlan,
        checks: list[ValidationCheckPlan],
        results: dict[str, list[CheckResult]],
        root: Path,
    ) -> list[Figure]:
        from aiinfra_iac.validate.reports.html import rdma_plot

        with_results = [c for c in checks if results.get(c.id)]
        if not with_results:
            return []
        merged = [r for c in with_results for r in results[c.id]]
        return [("RDMA bandwidth (ib_write_bw)", rdma_plot(with_results, merged, plan.rules.fail_below))]


RDMA = RdmaKind()
