"""gpu-burn: every GPU must report OK and no error line may appear (gpu-burn exits 0 either way)."""

from __future__ import annotations

from aiinfra_iac.plan.model import PoolPlan
from aiinfra_iac.validate.parsers.types import GpuBurnResult
from aiinfra_iac.validate.rules.common import Target
from aiinfra_iac.validate.rules.identity import gpu_model
from aiinfra_iac.validate.types import CheckResult


def judge_gpu_burn(
    target: Target, result: GpuBurnResult, expected_gpus: int, pool: PoolPlan | None = None
) -> CheckResult:
    """``expected_gpus``: GPUs (or CPU workers) the node should have tested; 0 when unknown.

    ``measured`` is the slowest GPU's Gflop/s where gpu-burn printed rates (fleet outliers use it).
    With ``pool``, the GPU names gpu-burn listed must be the pool's GPU model."""
    rates = [g.gflops for g in result.gpus if g.gflops is not None]
    slowest = min(rates) if rates else None
    if result.errors:  # the error line gpu-burn printed is the first thing the detail says
        more = f" (+{len(result.errors) - 1} more)" if len(result.errors) > 1 else ""
        also = f"; {'; '.join(result.problems)}" if result.problems else ""
        return target.result("fail", f"gpu-burn error: {result.errors[0]}{more}{also}")
    if result.problems:
        return target.result("fail", f"gpu-burn output is unusable: {'; '.join(result.problems)}")
    wrong_model, model_note = gpu_model(result.gpu_names, pool, "gpu-burn") if pool else (None, "")
    if wrong_model:
        return target.result("fail", wrong_model, measured=slowest)
    faulty = [g.index for g in result.gpus if g.status == "FAULTY"]
    if faulty:
        return target.result(
            "fail",
            f"FAULTY GPU {', '.join(map(str, faulty))} of {len(result.gpus)}",
            measured=slowest,
        )
    if not result.gpus:
        return target.result("fail", "gpu-burn tested no GPU (no 'Tested N GPUs' summary)")
    if expected_gpus and len(result.gpus) < expected_gpus:
        return target.result("fail", f"gpu-burn tested {len(result.gpus)} of {expected_gpus} GPUs")
    rate = f", slowest {slowest:g} Gflop/s" if slowest is not None else ""
    # the CPU fallback's matmul workers stand in for GPUs: never call them GPUs
    what = "CPU workers" if pool is not None and pool.gpu is None else "GPUs"
    return target.result("pass", f"{len(result.gpus)} {what} OK{rate}{model_note}", measured=slowest)
