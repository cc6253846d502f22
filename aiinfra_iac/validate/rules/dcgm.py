"""DCGM diagnostics (``dcgmi diag -r <level> -j``): any failed test fails, any warning warns."""

from __future__ import annotations

from aiinfra_iac.validate.parsers.types import DcgmResult
from aiinfra_iac.validate.rules.common import Target
from aiinfra_iac.validate.types import CheckResult


def judge_dcgm(target: Target, result: DcgmResult) -> CheckResult:
    if result.problems:
        return target.result("fail", f"dcgmi diag output is unusable: {'; '.join(result.problems)}")
    if not result.tests:
        return target.result("fail", "dcgmi diag reported no tests")
    failed = [t for t in result.tests if t.status == "fail"]
    if failed:
        first = failed[0]
        gpus = f" on GPU {','.join(map(str, first.gpu_ids))}" if first.gpu_ids else ""
        info = f": {first.info}" if first.info else ""
        more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
        return target.result("fail", f"dcgm {first.name} failed{gpus}{info}{more}")
    warned = [t for t in result.tests if t.status in ("warn", "unknown")]
    if warned:
        names = ", ".join(sorted({t.name for t in warned}))
        return target.result("warn", f"dcgm warnings/unknown results in: {names}")
    ran = sum(1 for t in result.tests if t.status == "pass")
    skipped = sum(1 for t in result.tests if t.status == "skip")
    if ran == 0:  # a diag that ran nothing proves nothing
        return target.result("fail", f"no dcgm test ran: all {skipped} skipped")
    return target.result("pass", f"{ran} dcgm tests passed, {skipped} skipped")
