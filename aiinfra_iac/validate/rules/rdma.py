"""perftest (``ib_write_bw``) per rail: average bandwidth at the largest message size vs the link rate."""

from __future__ import annotations

from aiinfra_iac.blueprint.models import ValidationRules
from aiinfra_iac.validate.parsers.types import PerftestResult
from aiinfra_iac.validate.rules.common import Target, judge_bandwidth
from aiinfra_iac.validate.rules.identity import rdma_device
from aiinfra_iac.validate.rules.nccl import incomplete
from aiinfra_iac.validate.types import CheckResult


def judge_rdma(
    target: Target, result: PerftestResult, rules: ValidationRules, *, planned_largest: int | None = None
) -> CheckResult:
    """``planned_largest``: the size an ``-a`` sweep must reach; a table cut before its closing line
    or before that size is "incomplete", with the last size seen."""
    if result.problems:
        return target.result("fail", f"perftest output is unusable: {'; '.join(result.problems)}")
    expected = str(target.check.params.get("device", "")) or target.suffix
    wrong = rdma_device(result.device, expected)
    if wrong:
        return target.result("fail", wrong)
    largest = result.largest
    if largest is None:
        return target.result("fail", "perftest printed no bandwidth row")
    cut = incomplete(largest.size_bytes, planned_largest)
    if cut is None and not result.table_closed:
        cut = f"incomplete: the result table was cut after {largest.size_bytes} B (no closing line)"
    if cut:
        return target.result("fail", cut)
    bandwidth = largest.bw_avg_gbps if largest.bw_avg_gbps is not None else largest.bw_peak_gbps
    if bandwidth is None:
        return target.result("fail", f"perftest row at {largest.size_bytes} B has no bandwidth")
    device = result.device or target.suffix or str(target.check.params.get("device", "HCA"))
    return judge_bandwidth(target, bandwidth, rules, f"{device} BW average @{largest.size_bytes} B")
